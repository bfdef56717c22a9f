#!/usr/bin/env node
/**
 * Writes the weight shards of test/fixtures/tfjs/<case>/ from PyTorch's GRU fixtures
 * (test/fixtures/pytorch/*.safetensors, made by real PyTorch): a PyTorch GRU is Keras' GRU with
 * reset_after=True once the gates are reordered (PyTorch r, z, n -> Keras z, r, h) and the matrices
 * transposed; the bias becomes [input bias; recurrent bias], shape [2, 3*units].
 *
 * The model.json files beside the shards are hand-written (Keras 2 converter and Keras 3 styles); this
 * script fills in the bytes their weightsManifest names, in manifest order, and checks every shape.
 *   node scripts/make-tfjs-fixtures.mjs
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PT = join(ROOT, 'test/fixtures/pytorch');
const OUT = join(ROOT, 'test/fixtures/tfjs');

/** The F32 tensors of a safetensors file: { name: { shape, data } }. */
function readSafetensors(path) {
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  const out = {};
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (e.dtype !== 'F32') throw new Error(`${path}: ${name} is ${e.dtype}, expected F32`);
    const [a, b] = e.data_offsets;
    const raw = bytes.subarray(8 + n + a, 8 + n + b);
    out[name] = { shape: e.shape, data: new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)) };
  }
  return out;
}

// Keras gate g (z, r, h) is PyTorch gate TORCH_GATE[g] (r, z, n).
const TORCH_GATE = [1, 0, 2];

/** PyTorch [3H, in] -> Keras [in, 3H] with the gates reordered. */
function kerasMatrix(w, H) {
  const [rows, cols] = w.shape;
  if (rows !== 3 * H) throw new Error(`expected ${3 * H} rows, got ${rows}`);
  const out = new Float32Array(cols * 3 * H);
  for (let g = 0; g < 3; g++) for (let j = 0; j < H; j++) for (let i = 0; i < cols; i++) {
    out[i * 3 * H + g * H + j] = w.data[(TORCH_GATE[g] * H + j) * cols + i];
  }
  return out;
}

function kerasBias(bih, bhh, H) {
  const out = new Float32Array(6 * H);
  for (let g = 0; g < 3; g++) for (let j = 0; j < H; j++) {
    out[g * H + j] = bih.data[TORCH_GATE[g] * H + j];
    out[3 * H + g * H + j] = bhh.data[TORCH_GATE[g] * H + j];
  }
  return out;
}

/** Keras weights of one PyTorch GRU direction ('' or '_reverse'). */
function gruDirection(sd, suffix) {
  const H = sd[`weight_hh_l0${suffix}`].shape[1];
  return {
    kernel: kerasMatrix(sd[`weight_ih_l0${suffix}`], H),
    recurrent_kernel: kerasMatrix(sd[`weight_hh_l0${suffix}`], H),
    bias: kerasBias(sd[`bias_ih_l0${suffix}`], sd[`bias_hh_l0${suffix}`], H),
  };
}

function writeShard(dir, lookup) {
  const json = JSON.parse(readFileSync(join(OUT, dir, 'model.json'), 'utf8'));
  const parts = [];
  for (const group of json.weightsManifest) {
    for (const w of group.weights) {
      const data = lookup(w.name);
      const size = w.shape.reduce((a, b) => a * b, 1);
      if (!data || data.length !== size) throw new Error(`${dir}: no data of ${size} values for ${w.name}`);
      parts.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    }
  }
  const path = json.weightsManifest[0].paths[0];
  writeFileSync(join(OUT, dir, path), Buffer.concat(parts));
  console.log(`wrote ${join('test/fixtures/tfjs', dir, path)}`);
}

const role = (name) => name.split('/').pop();

const gru = readSafetensors(join(PT, 'gru.safetensors'));
writeShard('keras2-gru', (name) => gruDirection(gru, '')[role(name)]);

const bigru = readSafetensors(join(PT, 'gru_bidirectional_batch_first.safetensors'));
writeShard('keras3-bigru', (name) => gruDirection(bigru, name.includes('/backward_') ? '_reverse' : '')[role(name)]);
