/**
 * A safetensors reader (https://github.com/huggingface/safetensors, format only; no dependency):
 * 8-byte little-endian header length N, N bytes of JSON header `{ name: { dtype, shape, data_offsets:
 * [begin, end] }, "__metadata__"?: { string: string } }`, then the data area the offsets point into.
 * Floating-point tensors (F32, F16, BF16, F64) are read as Float32Array.
 */
import { FormatError } from '../errors.js';

/** The tensor dtypes this reader converts to float32. */
export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'F64';

const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };
/** Other dtypes the format defines: recognised, so the error can say they are valid but not supported here. */
const OTHER_DTYPES = ['BOOL', 'U8', 'I8', 'I16', 'U16', 'I32', 'U32', 'I64', 'U64', 'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2', 'C64'];

/** A header entry, checked against the file. */
export interface SafetensorsEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte range inside the data area. */
  begin: number;
  end: number;
}

/** A float tensor read from the file. */
export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array;
}

/** A parsed file: the header is checked eagerly, tensors are converted when asked for. */
export interface SafetensorsFile {
  /** Tensor names in header order. */
  readonly names: readonly string[];
  /** The optional `__metadata__` string map. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The header entry of a tensor, or undefined. */
  entry(name: string): SafetensorsEntry | undefined;
  /** Reads one tensor as float32; throws FormatError naming it when absent. */
  tensor(name: string): SafetensorsTensor;
}

function fail(msg: string): never {
  throw new FormatError(`safetensors: ${msg}`);
}

const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Parses a safetensors file and validates its header: the header length against the file size, the
 * JSON, every tensor's dtype, shape and byte range (inside the data area, no overlaps, and
 * shape x dtype size equal to the byte span). Errors are FormatError naming the tensor.
 * @example
 * const st = parseSafetensors(new Uint8Array(await (await fetch('lstm.safetensors')).arrayBuffer()));
 * const w = st.tensor('weight_ih_l0'); // { dtype: 'F32', shape: [64, 8], data: Float32Array }
 */
export function parseSafetensors(bytes: Uint8Array | ArrayBuffer): SafetensorsFile {
  const u8 = bytes instanceof Uint8Array ? bytes : bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : fail(`expected a Uint8Array or ArrayBuffer, got ${typeof bytes}`);
  if (u8.byteLength < 8) fail(`file is truncated: ${u8.byteLength} bytes, but the 8-byte header length alone needs 8`);
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const headerLen = view.getBigUint64(0, true);
  const available = BigInt(u8.byteLength - 8);
  if (headerLen > available) fail(`header length ${headerLen} bytes goes beyond the end of the file (${available} bytes after the 8-byte length)`);
  const n = Number(headerLen);
  if (n < 2) fail(`header length ${n} is too small for a JSON object`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(u8.subarray(8, 8 + n)));
  } catch (e) {
    fail(`header (${n} bytes) is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header must be a JSON object { name: { dtype, shape, data_offsets } }');
  const dataStart = 8 + n;
  const dataLen = u8.byteLength - dataStart;

  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || Object.values(raw).some((v) => typeof v !== 'string')) {
        fail("'__metadata__' must be an object of string values");
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    const where = `tensor '${name}'`;
    if (typeof raw !== 'object' || raw === null) fail(`${where}: header entry must be an object { dtype, shape, data_offsets }`);
    const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (typeof dtype !== 'string') fail(`${where}: 'dtype' must be a string, got ${JSON.stringify(dtype)}`);
    if (!(dtype in DTYPE_BYTES)) {
      const known = OTHER_DTYPES.includes(dtype) ? `is not a floating-point dtype this reader supports` : 'is not a safetensors dtype';
      fail(`${where}: dtype ${JSON.stringify(dtype)} ${known}; expected F32, F16, BF16 or F64`);
    }
    if (!Array.isArray(shape) || !shape.every(isIndex)) fail(`${where}: 'shape' must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
      fail(`${where}: 'data_offsets' must be [begin, end] byte offsets, got ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataLen) {
      fail(`${where}: data_offsets [${begin}, ${end}] lie outside the data area of ${dataLen} bytes (the file may be truncated)`);
    }
    const d = dtype as SafetensorsDtype;
    const elements = (shape as number[]).reduce((a, b) => a * b, 1);
    if (elements * DTYPE_BYTES[d] !== end - begin) {
      fail(`${where}: shape [${(shape as number[]).join(', ')}] of ${d} needs ${elements * DTYPE_BYTES[d]} bytes, but data_offsets [${begin}, ${end}] span ${end - begin}`);
    }
    entries.set(name, { dtype: d, shape: [...(shape as number[])], begin, end });
  }
  const sorted = [...entries].sort((a, b) => a[1].begin - b[1].begin);
  for (let i = 1; i < sorted.length; i++) {
    const [pn, p] = sorted[i - 1]!, [qn, q] = sorted[i]!;
    if (q.begin < p.end) fail(`tensor '${qn}': data_offsets [${q.begin}, ${q.end}] overlap tensor '${pn}' [${p.begin}, ${p.end}]`);
  }

  return {
    names: [...entries.keys()],
    metadata,
    entry: (name) => entries.get(name),
    tensor(name) {
      const e = entries.get(name);
      if (!e) fail(`no tensor named '${name}' (the file has ${entries.size ? [...entries.keys()].join(', ') : 'no tensors'})`);
      return { dtype: e.dtype, shape: [...e.shape], data: readFloats(view, dataStart + e.begin, e) };
    },
  };
}

/** Converts one tensor's bytes (little-endian, any alignment) to float32. */
function readFloats(view: DataView, at: number, e: SafetensorsEntry): Float32Array {
  const count = (e.end - e.begin) / DTYPE_BYTES[e.dtype];
  const out = new Float32Array(count);
  switch (e.dtype) {
    case 'F32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(at + 4 * i, true);
      break;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(at + 8 * i, true);
      break;
    case 'BF16': {
      const tmp = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        tmp.setUint32(0, view.getUint16(at + 2 * i, true) << 16);
        out[i] = tmp.getFloat32(0);
      }
      break;
    }
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(at + 2 * i, true));
      break;
  }
  return out;
}

/** IEEE 754 binary16 -> number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Writes float32 tensors as a safetensors file (F32, header padded to 8 bytes). Handy for tests and
 * for saving converted weights.
 * @example
 * const bytes = writeSafetensors({ weight_ih_l0: { data: w, shape: [16, 3] } });
 */
export function writeSafetensors(tensors: Record<string, { data: Float32Array; shape: readonly number[] }>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + 4 * t.data.length] };
    offset += 4 * t.data.length;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of Object.values(tensors)) {
    for (let i = 0; i < t.data.length; i++) view.setFloat32(at + 4 * i, t.data[i]!, true);
    at += 4 * t.data.length;
  }
  return out;
}
