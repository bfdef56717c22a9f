#!/usr/bin/env python3
"""Writes test/fixtures/pytorch/: small seeded nn.RNN / nn.LSTM / nn.GRU modules run by real PyTorch.

For each case: <name>.safetensors (the module's state_dict; written here with struct + json, so the
`safetensors` package is not needed) and <name>.json (constructor options, the input, h0 / c0, packed
sequence lengths, and PyTorch's output, h_n and c_n as float32 values).

Needs PyTorch (Debian: `apt-get install -y python3-torch`, then run with /usr/bin/python3):
    /usr/bin/python3 scripts/make-pytorch-fixtures.py
Outputs are deterministic for a given PyTorch version (seeded); the JSON records the version.
"""
import json
import os
import struct
import sys

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'pytorch')

DTYPES = {'F32': ('<f4', torch.float32), 'F64': ('<f8', torch.float64), 'F16': ('<f2', torch.float16)}


def write_safetensors(path, tensors, dtype='F32'):
    """safetensors: u64 LE header length, JSON header (padded with spaces to 8 bytes), data."""
    header, blobs, offset = {'__metadata__': {'format': 'pt'}}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        if dtype == 'BF16':
            # bfloat16 is the top half of a float32 (the weights were rounded to bf16 already).
            bits = t.to(torch.float32).numpy().astype('<f4').view('<u4')
            raw = (bits >> 16).astype('<u2').tobytes()
        else:
            raw = t.to(DTYPES[dtype][1]).numpy().astype(DTYPES[dtype][0]).tobytes()
        header[name] = {'dtype': dtype, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def values(t):
    return [float(v) for v in t.detach().to(torch.float32).reshape(-1).numpy()]


def tensor_json(t):
    return {'shape': list(t.shape), 'data': values(t)}


def make(name, module, seed, T=5, B=2, dtype='F32', h0=False, c0=False, lengths=None, unbatched=False, **kw):
    torch.manual_seed(seed)
    cls = {'RNN': torch.nn.RNN, 'LSTM': torch.nn.LSTM, 'GRU': torch.nn.GRU}[module]
    m = cls(**kw).eval()
    if dtype in ('F16', 'BF16'):
        # Round the weights to the stored precision so PyTorch computes with exactly what the file holds.
        low = torch.float16 if dtype == 'F16' else torch.bfloat16
        with torch.no_grad():
            for p in m.parameters():
                p.copy_(p.to(low).to(torch.float32))
    bf = kw.get('batch_first', False)
    D = 2 if kw.get('bidirectional', False) else 1
    L = kw.get('num_layers', 1)
    H = kw['hidden_size']
    Hout = kw.get('proj_size', 0) or H
    shape = [T, kw['input_size']] if unbatched else ([B, T, kw['input_size']] if bf else [T, B, kw['input_size']])
    x = torch.randn(*shape)
    state_shape = [L * D, H] if unbatched else [L * D, B, H]
    hshape = [L * D, Hout] if unbatched else [L * D, B, Hout]
    hx = torch.randn(*hshape) if h0 else None
    cx = torch.randn(*state_shape) if c0 else None
    if module == 'LSTM' and (hx is not None or cx is not None):
        hx = (hx if hx is not None else torch.zeros(*hshape), cx if cx is not None else torch.zeros(*state_shape))
    with torch.no_grad():
        if lengths is not None:
            packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=bf, enforce_sorted=False)
            out_p, state = m(packed, hx)
            out, _ = pad_packed_sequence(out_p, batch_first=bf, total_length=T)
        else:
            out, state = m(x, hx)
    h_n, c_n = state if module == 'LSTM' else (state, None)

    write_safetensors(os.path.join(OUT, f'{name}.safetensors'), m.state_dict(), dtype)
    options = {'module': module, **{k: v for k, v in kw.items()}}
    doc = {
        'name': name,
        'pytorch': torch.__version__,
        'dtype': dtype,
        'options': options,
        'input': tensor_json(x),
        'output': tensor_json(out),
        'h_n': tensor_json(h_n),
    }
    if c_n is not None:
        doc['c_n'] = tensor_json(c_n)
    if h0:
        doc['h0'] = tensor_json(hx[0] if module == 'LSTM' else hx)
    if c0:
        doc['c0'] = tensor_json(hx[1])
    if lengths is not None:
        doc['lengths'] = lengths
    with open(os.path.join(OUT, f'{name}.json'), 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
    print(f'{name}: {sorted(m.state_dict().keys())}')


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    make('rnn_tanh', 'RNN', 1, input_size=3, hidden_size=5)
    make('rnn_relu', 'RNN', 2, input_size=3, hidden_size=5, nonlinearity='relu')
    make('rnn_relu_bidirectional_2layers', 'RNN', 3, input_size=4, hidden_size=3, num_layers=2, bidirectional=True, nonlinearity='relu')
    make('rnn_no_bias_2layers', 'RNN', 4, input_size=3, hidden_size=4, num_layers=2, bias=False)
    make('rnn_f64_weights', 'RNN', 5, input_size=2, hidden_size=3, dtype='F64')
    make('lstm', 'LSTM', 10, input_size=4, hidden_size=6)
    make('lstm_2layers_bidirectional', 'LSTM', 11, input_size=3, hidden_size=5, num_layers=2, bidirectional=True)
    make('lstm_no_bias', 'LSTM', 12, input_size=3, hidden_size=4, bias=False)
    make('lstm_batch_first_initial_state', 'LSTM', 13, B=3, input_size=3, hidden_size=4, batch_first=True, h0=True, c0=True)
    make('lstm_packed_bidirectional_2layers', 'LSTM', 14, T=6, B=3, input_size=3, hidden_size=4, num_layers=2, bidirectional=True, lengths=[6, 3, 1], h0=True, c0=True)
    make('lstm_bf16_weights', 'LSTM', 15, input_size=3, hidden_size=4, dtype='BF16')
    make('lstm_hidden70', 'LSTM', 16, T=7, B=3, input_size=5, hidden_size=70)
    make('lstm_proj', 'LSTM', 17, input_size=4, hidden_size=6, proj_size=3)
    make('lstm_proj_packed_bidirectional_2layers', 'LSTM', 18, T=6, B=3, input_size=3, hidden_size=5, proj_size=2, num_layers=2, bidirectional=True, lengths=[6, 3, 1], h0=True, c0=True)
    make('lstm_proj_batch_first_initial_state', 'LSTM', 19, B=3, input_size=3, hidden_size=6, proj_size=4, batch_first=True, h0=True, c0=True)
    make('gru', 'GRU', 20, input_size=4, hidden_size=6)
    make('gru_2layers', 'GRU', 21, input_size=3, hidden_size=4, num_layers=2)
    make('gru_bidirectional_batch_first', 'GRU', 22, input_size=3, hidden_size=5, bidirectional=True, batch_first=True)
    make('gru_no_bias', 'GRU', 23, input_size=3, hidden_size=4, bias=False)
    make('gru_initial_state_bidirectional_2layers', 'GRU', 24, input_size=2, hidden_size=3, num_layers=2, bidirectional=True, h0=True)
    make('gru_packed_batch_first', 'GRU', 25, T=6, B=4, input_size=3, hidden_size=5, batch_first=True, lengths=[2, 6, 1, 4])
    make('gru_f16_weights', 'GRU', 26, input_size=3, hidden_size=4, dtype='F16')
    make('gru_unbatched', 'GRU', 27, input_size=3, hidden_size=4, unbatched=True)
    make('rnn_unbatched_initial_state', 'RNN', 28, input_size=2, hidden_size=3, num_layers=2, unbatched=True, h0=True)


if __name__ == '__main__':
    sys.exit(main())
