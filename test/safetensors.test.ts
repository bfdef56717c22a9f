/**
 * The safetensors reader: every dtype it converts (checked bit by bit), alignment, metadata, and each
 * malformation (truncated file, header length beyond the file, bad JSON, wrong dtype, offsets out of
 * range or overlapping, shape x dtype size != byte span, absent tensor) as a FormatError naming the
 * tensor.
 */
import { describe, expect, test } from 'vitest';
import { FormatError, parseSafetensors, writeSafetensors } from '../src/index.js';

/** A file from a header (object or raw text) and a data area. */
function file(header: object | string, data: Uint8Array = new Uint8Array(0), headerLen?: bigint): Uint8Array {
  const text = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLen ?? BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

function f32(values: number[]): Uint8Array {
  const b = new Uint8Array(4 * values.length);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setFloat32(4 * i, x, true));
  return b;
}

function u16(values: number[]): Uint8Array {
  const b = new Uint8Array(2 * values.length);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setUint16(2 * i, x, true));
  return b;
}

function expectFormatError(fn: () => unknown, ...patterns: (string | RegExp)[]) {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  if (!(caught instanceof FormatError)) throw new Error(`expected a FormatError, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`);
  for (const p of patterns) {
    if (typeof p === 'string') expect(caught.message).toContain(p);
    else expect(caught.message).toMatch(p);
  }
}

describe('reading', () => {
  test('F32 tensors, metadata, header order, ArrayBuffer input', () => {
    const bytes = file({
      __metadata__: { format: 'pt' },
      b: { dtype: 'F32', shape: [2], data_offsets: [12, 20] },
      a: { dtype: 'F32', shape: [3, 1], data_offsets: [0, 12] },
    }, f32([1, -2.5, 3e-8, 7, 8]));
    const st = parseSafetensors(bytes.slice().buffer);
    expect(st.names).toEqual(['b', 'a']);
    expect(st.metadata).toEqual({ format: 'pt' });
    expect(st.tensor('a')).toEqual({ dtype: 'F32', shape: [3, 1], data: Float32Array.from([1, -2.5, 3e-8]) });
    expect(Array.from(st.tensor('b').data)).toEqual([7, 8]);
  });

  test('F16: normal, negative, largest, subnormal, zero, infinity, NaN', () => {
    const bytes = file({ h: { dtype: 'F16', shape: [8], data_offsets: [0, 16] } }, u16([0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00, 0x7e00, 0x3555]));
    const d = Array.from(parseSafetensors(bytes).tensor('h').data);
    expect(d.slice(0, 4)).toEqual([1, -2, 65504, 2 ** -24]);
    expect(Object.is(d[4], -0)).toBe(true);
    expect(d[5]).toBe(Infinity);
    expect(Number.isNaN(d[6])).toBe(true);
    expect(d[7]).toBeCloseTo(1 / 3, 3);
  });

  test('BF16 is the top half of a float32', () => {
    const bytes = file({ b: { dtype: 'BF16', shape: [3], data_offsets: [0, 6] } }, u16([0x3f80, 0xc0a0, 0x3eab]));
    const d = parseSafetensors(bytes).tensor('b').data;
    expect(d[0]).toBe(1);
    expect(d[1]).toBe(-5);
    expect(d[2]).toBeCloseTo(0.333984375, 9);
  });

  test('F64 is rounded to float32', () => {
    const data = new Uint8Array(16);
    new DataView(data.buffer).setFloat64(0, 0.1, true);
    new DataView(data.buffer).setFloat64(8, -1e300, true);
    const d = parseSafetensors(file({ x: { dtype: 'F64', shape: [2], data_offsets: [0, 16] } }, data)).tensor('x').data;
    expect(d[0]).toBe(Math.fround(0.1));
    expect(d[1]).toBe(-Infinity); // out of float32 range: the model loader's finite-weight check rejects it
  });

  test('unaligned data (header length not a multiple of 4) and a view into a bigger buffer', () => {
    const header = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'; // 55 bytes
    expect(header.length % 4).not.toBe(0);
    const inner = file(header, f32([0.5, -0.25]));
    const outer = new Uint8Array(inner.length + 3);
    outer.set(inner, 3);
    expect(Array.from(parseSafetensors(outer.subarray(3)).tensor('w').data)).toEqual([0.5, -0.25]);
  });

  test('empty tensors and a header padded with spaces', () => {
    const st = parseSafetensors(file('{"e":{"dtype":"F32","shape":[0,4],"data_offsets":[0,0]}}     '));
    expect(st.tensor('e')).toEqual({ dtype: 'F32', shape: [0, 4], data: new Float32Array(0) });
  });

  test('writeSafetensors round-trips and pads the header to 8 bytes', () => {
    const w = Float32Array.from([1.5, -2, 3.25, 0]);
    const bytes = writeSafetensors({ w: { data: w, shape: [2, 2] }, b: { data: Float32Array.from([9]), shape: [1] } }, { format: 'pt' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const st = parseSafetensors(bytes);
    expect(st.metadata).toEqual({ format: 'pt' });
    expect(st.tensor('w')).toEqual({ dtype: 'F32', shape: [2, 2], data: w });
    expect(Array.from(st.tensor('b').data)).toEqual([9]);
  });
});

describe('malformed files -> FormatError', () => {
  const good = () => file({ weight_ih_l0: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } }, f32([1, 2, 3, 4]));

  test('truncated: fewer than 8 bytes', () => {
    expectFormatError(() => parseSafetensors(new Uint8Array(5)), 'truncated', '5 bytes');
    expectFormatError(() => parseSafetensors(new Uint8Array(0)), 'truncated');
  });
  test('header length beyond the file', () => {
    const g = good();
    expectFormatError(() => parseSafetensors(file('{}', new Uint8Array(0), 1000n)), 'header length 1000', 'beyond the end of the file');
    expectFormatError(() => parseSafetensors(file('{}', new Uint8Array(0), 2n ** 63n)), 'beyond the end');
    // A file cut inside its header.
    expectFormatError(() => parseSafetensors(g.subarray(0, 20)), 'beyond the end of the file');
  });
  test('truncated data area: offsets past the end name the tensor', () => {
    const g = good();
    expectFormatError(() => parseSafetensors(g.subarray(0, g.length - 4)), "tensor 'weight_ih_l0'", 'data_offsets [0, 16]', 'outside the data area of 12 bytes', 'truncated');
  });
  test('malformed JSON, non-object header, bad UTF-8', () => {
    expectFormatError(() => parseSafetensors(file('{"w": {"dtype": "F32",')), 'not valid UTF-8 JSON');
    expectFormatError(() => parseSafetensors(file('[1, 2, 3]')), 'header must be a JSON object');
    const bad = file('{"x":1}');
    bad[10] = 0xff;
    expectFormatError(() => parseSafetensors(bad), 'not valid UTF-8 JSON');
    expectFormatError(() => parseSafetensors(file('{"__metadata__":{"a":1}}')), '__metadata__');
  });
  test('wrong dtype names the tensor', () => {
    expectFormatError(() => parseSafetensors(file({ steps: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8))), "tensor 'steps'", '"I64"', 'not a floating-point dtype this reader supports', 'F32, F16, BF16 or F64');
    expectFormatError(() => parseSafetensors(file({ w: { dtype: 'F17', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4))), "tensor 'w'", 'not a safetensors dtype');
    expectFormatError(() => parseSafetensors(file({ w: { dtype: 32, shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4))), "tensor 'w'", "'dtype' must be a string");
  });
  test('offsets out of range or malformed', () => {
    const d = new Uint8Array(16);
    expectFormatError(() => parseSafetensors(file({ w: { dtype: 'F32', shape: [4], data_offsets: [8, 24] } }, d)), "tensor 'w'", '[8, 24]', 'outside the data area of 16 bytes');
    expectFormatError(() => parseSafetensors(file({ w: { dtype: 'F32', shape: [0], data_offsets: [12, 8] } }, d)), "tensor 'w'", '[12, 8]');
    expectFormatError(() => parseSafetensors(file({ w: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }, d)), "tensor 'w'", 'data_offsets');
    expectFormatError(() => parseSafetensors(file({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }, d)), "tensor 'w'", '[begin, end]');
  });
  test('overlapping tensors', () => {
    const d = new Uint8Array(16);
    expectFormatError(() => parseSafetensors(file({
      a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
    }, d)), "tensor 'b'", "overlap tensor 'a'");
  });
  test('shape x dtype size differs from the byte span', () => {
    const d = new Uint8Array(16);
    expectFormatError(() => parseSafetensors(file({ weight_hh_l0: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 16] } }, d)), "tensor 'weight_hh_l0'", 'shape [2, 3] of F32 needs 24 bytes', 'span 16');
    expectFormatError(() => parseSafetensors(file({ h: { dtype: 'F16', shape: [4], data_offsets: [0, 16] } }, d)), "tensor 'h'", 'needs 8 bytes');
    expectFormatError(() => parseSafetensors(file({ w: { dtype: 'F32', shape: [2, -2], data_offsets: [0, 16] } }, d)), "tensor 'w'", "'shape'");
    expectFormatError(() => parseSafetensors(file({ w: { dtype: 'F32', shape: 4, data_offsets: [0, 16] } }, d)), "tensor 'w'", "'shape'");
  });
  test('an entry that is not an object', () => {
    expectFormatError(() => parseSafetensors(file({ w: 3 })), "tensor 'w'", 'header entry');
  });
  test('asking for a tensor the file does not have', () => {
    expectFormatError(() => parseSafetensors(good()).tensor('bias_ih_l0'), "no tensor named 'bias_ih_l0'", 'weight_ih_l0');
  });
  test('not bytes at all', () => {
    expectFormatError(() => parseSafetensors('hello' as never), 'Uint8Array or ArrayBuffer');
  });
});
