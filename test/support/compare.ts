/**
 * Element-by-element comparison of a result against a reference, with absolute and relative tolerance
 * and explicit NaN / Infinity rules (after onnxruntime-web's test checker and webgpu-utils'
 * assertArrayEqualApproximately). No test-framework import: the browser harness uses it too.
 */

/** Anything with row-major data and a shape (a Tensor, a float64 reference tensor). */
export interface TensorLike {
  data: ArrayLike<number>;
  shape: readonly number[];
}

/** Element i passes when |actual - expected| <= atol + rtol * |expected|. */
export interface Tolerance {
  atol: number;
  rtol: number;
}

/** How many mismatches a report lists. */
const MAX_LISTED = 5;

/** Multi-dimensional index of flat position `flat` in a row-major tensor of `shape`. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    idx[d] = n > 0 ? rest % n : 0;
    rest = n > 0 ? Math.floor(rest / n) : 0;
  }
  return idx;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(8) : String(v);
}

/**
 * Compares every element. Returns null when all pass, otherwise a report naming the max abs error,
 * the number of mismatches and the first few with their indices.
 * Rules: shapes must be equal; a NaN or ±Infinity on either side fails unless both sides hold the
 * same non-finite value (NaN and NaN, +Inf and +Inf, -Inf and -Inf).
 */
export function compareTensors(actual: TensorLike, expected: TensorLike, tol: Tolerance): string | null {
  if (!actual || typeof actual !== 'object' || !actual.data || !Array.isArray(actual.shape)) {
    return `actual is not a tensor { data, shape }: ${describe(actual)}`;
  }
  const aShape = [...actual.shape], eShape = [...expected.shape];
  if (aShape.length !== eShape.length || aShape.some((d, i) => d !== eShape[i])) {
    return `shape mismatch: actual [${aShape.join(', ')}], expected [${eShape.join(', ')}]`;
  }
  const size = eShape.reduce((a, b) => a * b, 1);
  if (actual.data.length !== size || expected.data.length !== size) {
    return `data length mismatch for shape [${eShape.join(', ')}] (${size} values): actual has ${actual.data.length}, expected has ${expected.data.length}`;
  }
  let maxAbs = 0, maxAbsAt = -1, maxRel = 0, mismatches = 0;
  const listed: string[] = [];
  for (let i = 0; i < size; i++) {
    const a = actual.data[i]!, e = expected.data[i]!;
    let ok: boolean;
    let diff: number;
    if (!Number.isFinite(a) || !Number.isFinite(e)) {
      ok = Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e));
      diff = ok ? 0 : Infinity;
    } else {
      diff = Math.abs(a - e);
      ok = diff <= tol.atol + tol.rtol * Math.abs(e);
      if (e !== 0) maxRel = Math.max(maxRel, diff / Math.abs(e));
    }
    if (diff > maxAbs || maxAbsAt < 0) {
      maxAbs = diff;
      maxAbsAt = i;
    }
    if (!ok) {
      mismatches++;
      if (listed.length < MAX_LISTED) {
        listed.push(`  at [${unravel(i, eShape).join(', ')}]: actual ${fmt(a)}, expected ${fmt(e)}, |diff| ${fmt(diff)} > allowed ${fmt(tol.atol + tol.rtol * Math.abs(e))}`);
      }
    }
  }
  if (mismatches === 0) return null;
  return [
    `${mismatches} of ${size} elements differ (atol ${tol.atol}, rtol ${tol.rtol}); shape [${eShape.join(', ')}]`,
    `max abs error ${fmt(maxAbs)} at [${unravel(Math.max(0, maxAbsAt), eShape).join(', ')}], max rel error ${fmt(maxRel)}`,
    `first mismatches:`,
    ...listed,
  ].join('\n');
}

/** Throws an Error carrying compareTensors' report when any element is out of tolerance. */
export function expectClose(actual: TensorLike, expected: TensorLike, tol: Tolerance): void {
  const report = compareTensors(actual, expected, tol);
  if (report !== null) throw new Error(report);
}

/**
 * Compares a model's outputs (one tensor or a list) with the reference's list, output by output.
 * Returns null or a report naming each failing output.
 */
export function compareOutputs(actual: TensorLike | TensorLike[], expected: readonly TensorLike[], tol: Tolerance): string | null {
  const list = Array.isArray(actual) ? actual : [actual];
  if (list.length !== expected.length) return `expected ${expected.length} output(s), got ${list.length}`;
  const reports: string[] = [];
  list.forEach((a, i) => {
    const r = compareTensors(a, expected[i]!, tol);
    if (r !== null) reports.push(`output ${i}: ${r}`);
  });
  return reports.length ? reports.join('\n') : null;
}

/** Throws with compareOutputs' report. */
export function expectOutputsClose(actual: TensorLike | TensorLike[], expected: readonly TensorLike[], tol: Tolerance): void {
  const report = compareOutputs(actual, expected, tol);
  if (report !== null) throw new Error(report);
}

/** Largest |actual - expected| over all outputs (for logging), Infinity on a shape or non-finite mismatch. */
export function maxAbsError(actual: TensorLike | TensorLike[], expected: readonly TensorLike[]): number {
  const list = Array.isArray(actual) ? actual : [actual];
  if (list.length !== expected.length) return Infinity;
  let m = 0;
  list.forEach((a, k) => {
    const e = expected[k]!;
    if (a.data.length !== e.data.length) { m = Infinity; return; }
    for (let i = 0; i < a.data.length; i++) {
      const x = a.data[i]!, y = e.data[i]!;
      if (Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y))) continue;
      m = Math.max(m, Number.isFinite(x) && Number.isFinite(y) ? Math.abs(x - y) : Infinity);
    }
  });
  return m;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v !== 'object') return `${typeof v} ${String(v)}`;
  return `object with keys ${Object.keys(v).join(', ')}`;
}
