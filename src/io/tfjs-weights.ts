/**
 * The `weightsManifest` of a model.json and the binary shard data it describes: entries laid end to
 * end, group after group, shard after shard (little-endian), as tfjs' `io.decodeWeights` reads them.
 * float32 entries and the converter's quantized ones (float16, uint8 / uint16 with scale and min) are
 * decoded; other dtypes are skipped over and only refused when a layer needs them.
 */
import { FormatError, UnsupportedError } from '../errors.js';
import { halfToFloat } from './safetensors.js';
import { type Json, isObject, show } from './tfjs-topology.js';

export interface Quantization {
  dtype: 'float16' | 'uint8' | 'uint16';
  scale: number;
  min: number;
}

export interface ManifestEntry {
  /** The name as written in the manifest. */
  name: string;
  /** The name without a TensorFlow ':0' suffix, split on '/'. */
  path: string[];
  shape: number[];
  dtype: string;
  quantization: Quantization | null;
  /** Byte offset into the concatenated shards (set by layoutWeights). */
  offset: number;
  byteLength: number;
}

/** Bytes per element of the dtypes tfjs writes (string entries are length-prefixed, see layoutWeights). */
const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, float16: 2, uint8: 1, uint16: 2 };

/** Data a caller may pass for the shards: one buffer (all shards concatenated) or one per shard path, in manifest order. */
export type WeightData = ArrayBuffer | ArrayBufferView | readonly (ArrayBuffer | ArrayBufferView)[];

function bytesOf(b: unknown, where: string): Uint8Array {
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  throw new FormatError(`${where}: expected an ArrayBuffer (or a typed array / Node Buffer), got ${b === null ? 'null' : typeof b}`);
}

/** Concatenates the shard buffers into one byte array. */
export function concatWeights(data: WeightData): Uint8Array {
  if (!Array.isArray(data)) return bytesOf(data, 'weights');
  const parts = (data as readonly unknown[]).map((b, i) => bytesOf(b, `weights[${i}]`));
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function readQuantization(q: unknown, where: string): Quantization | null {
  if (q === undefined || q === null) return null;
  if (!isObject(q)) throw new FormatError(`${where}: 'quantization' must be an object, got ${show(q)}`);
  const dtype = q.dtype;
  if (dtype !== 'float16' && dtype !== 'uint8' && dtype !== 'uint16') {
    throw new UnsupportedError(`${where}: quantization dtype ${show(dtype)} is not supported; expected float16, uint8 or uint16`);
  }
  if (q.original_dtype !== undefined && q.original_dtype !== 'float32') {
    throw new UnsupportedError(`${where}: quantized ${show(q.original_dtype)} weights are not supported; expected float32`);
  }
  const scale = dtype === 'float16' ? 1 : q.scale, min = dtype === 'float16' ? 0 : q.min;
  if (typeof scale !== 'number' || typeof min !== 'number' || !Number.isFinite(scale) || !Number.isFinite(min)) {
    throw new FormatError(`${where}: ${dtype} quantization needs finite 'scale' and 'min', got ${show(q)}`);
  }
  return { dtype, scale, min };
}

/** Flattens `weightsManifest` ([{ paths, weights: [{ name, shape, dtype, quantization? }] }]) in file order. */
export function readManifest(modelJson: Json): { entries: ManifestEntry[]; paths: string[] } {
  const manifest = modelJson.weightsManifest;
  if (!Array.isArray(manifest)) throw new FormatError(`model.json: 'weightsManifest' must be an array of { paths, weights }, got ${show(manifest)}`);
  const entries: ManifestEntry[] = [];
  const paths: string[] = [];
  manifest.forEach((group, g) => {
    const where = `weightsManifest[${g}]`;
    if (!isObject(group) || !Array.isArray(group.weights)) throw new FormatError(`${where}: expected { paths, weights: [...] }, got ${show(group)}`);
    const groupPaths = group.paths ?? [];
    if (!Array.isArray(groupPaths) || groupPaths.some((p) => typeof p !== 'string')) {
      throw new FormatError(`${where}.paths must be a list of file names, got ${show(groupPaths)}`);
    }
    paths.push(...(groupPaths as string[]));
    group.weights.forEach((w, k) => {
      const at = `${where}.weights[${k}]`;
      if (!isObject(w) || typeof w.name !== 'string') throw new FormatError(`${at}: expected { name, shape, dtype }, got ${show(w)}`);
      const named = `${at} ('${w.name}')`;
      const shape = w.shape;
      if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
        throw new FormatError(`${named}: 'shape' must be a list of non-negative integers, got ${show(shape)}`);
      }
      const dtype = w.dtype ?? 'float32';
      if (typeof dtype !== 'string') throw new FormatError(`${named}: 'dtype' must be a string, got ${show(dtype)}`);
      const quantization = readQuantization(w.quantization, named);
      if (!quantization && BYTES[dtype] === undefined && dtype !== 'string') {
        throw new UnsupportedError(`${named}: dtype '${dtype}' is not supported; expected float32 (or a float16 / uint8 / uint16 quantization)`);
      }
      entries.push({
        name: w.name, path: w.name.replace(/:\d+$/, '').split('/'), shape: shape as number[], dtype, quantization, offset: 0, byteLength: 0,
      });
    });
  });
  return { entries, paths };
}

/** Sets each entry's offset and length in `data`; the data must hold exactly what the manifest describes. */
export function layoutWeights(entries: ManifestEntry[], data: Uint8Array): void {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let off = 0;
  for (const e of entries) {
    const count = e.shape.reduce((a, b) => a * b, 1);
    let bytes: number;
    if (e.quantization) bytes = count * BYTES[e.quantization.dtype]!;
    else if (e.dtype === 'string') {
      // tfjs strings: a uint32 byte length, then the bytes, per element.
      bytes = 0;
      for (let i = 0; i < count; i++) {
        if (off + bytes + 4 > data.length) break;
        bytes += 4 + view.getUint32(off + bytes, true);
      }
    } else bytes = count * BYTES[e.dtype]!;
    if (off + bytes > data.length) {
      throw new FormatError(`weight data ends early: '${e.name}' [${e.shape}] (${e.quantization?.dtype ?? e.dtype}) needs bytes ${off}..${off + bytes}, but the data has only ${data.length} bytes`);
    }
    e.offset = off;
    e.byteLength = bytes;
    off += bytes;
  }
  if (off !== data.length) {
    throw new FormatError(`weight data has ${data.length} bytes, but the manifest describes ${off}: the shards do not match model.json (or are in the wrong order)`);
  }
}

/** Decodes one entry to float32 (dequantizing), or throws UnsupportedError for a non-float dtype. */
export function decodeEntry(e: ManifestEntry, data: Uint8Array, usedBy: string): Float32Array {
  const count = e.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(data.buffer, data.byteOffset + e.offset, e.byteLength);
  const out = new Float32Array(count);
  const q = e.quantization;
  if (q) {
    for (let i = 0; i < count; i++) {
      out[i] = q.dtype === 'float16' ? halfToFloat(view.getUint16(2 * i, true))
        : (q.dtype === 'uint8' ? view.getUint8(i) : view.getUint16(2 * i, true)) * q.scale + q.min;
    }
    return out;
  }
  if (e.dtype !== 'float32') {
    throw new UnsupportedError(`${usedBy}: weight '${e.name}' has dtype '${e.dtype}'; expected float32 (or a float16 / uint8 / uint16 quantization)`);
  }
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}
