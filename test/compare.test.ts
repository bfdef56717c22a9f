/**
 * The comparison every GPU test relies on must fail when it should: tolerance edges, NaN / Infinity
 * rules, shapes, and a report that locates the mismatches.
 */
import { describe, expect, test } from 'vitest';
import { compareOutputs, compareTensors, expectClose, maxAbsError, unravel } from './support/compare.js';
import { Rng, randomTensor, seedOf } from './support/random.js';

const tol = { atol: 1e-4, rtol: 1e-3 };
const t = (data: number[], shape = [data.length]) => ({ data: Float32Array.from(data), shape });
const e = (data: number[], shape = [data.length]) => ({ data, shape });

describe('compareTensors', () => {
  test('passes within atol + rtol * |expected|, fails just outside', () => {
    expect(compareTensors(t([1.0]), e([1.0]), tol)).toBeNull();
    // Allowed at 10: 1e-4 + 1e-2.
    expect(compareTensors(t([10.0099]), e([10]), tol)).toBeNull();
    expect(compareTensors(t([10.0102]), e([10]), tol)).not.toBeNull();
    // Near zero only atol counts.
    expect(compareTensors(t([0.00009]), e([0]), tol)).toBeNull();
    expect(compareTensors(t([0.00011]), e([0]), tol)).not.toBeNull();
    expect(compareTensors(t([-0.00011]), e([0]), tol)).not.toBeNull();
  });

  test('NaN and Infinity fail unless both sides hold the same non-finite value', () => {
    expect(compareTensors(t([NaN]), e([NaN]), tol)).toBeNull();
    expect(compareTensors(t([Infinity]), e([Infinity]), tol)).toBeNull();
    expect(compareTensors(t([-Infinity]), e([-Infinity]), tol)).toBeNull();
    expect(compareTensors(t([NaN]), e([0]), tol)).toMatch(/NaN/);
    expect(compareTensors(t([0]), e([NaN]), tol)).not.toBeNull();
    expect(compareTensors(t([Infinity]), e([-Infinity]), tol)).not.toBeNull();
    expect(compareTensors(t([Infinity]), e([1e30]), { atol: 1, rtol: 1 })).not.toBeNull();
    expect(compareTensors(t([NaN]), e([Infinity]), tol)).not.toBeNull();
  });

  test('shapes must match exactly, and data lengths must match the shape', () => {
    expect(compareTensors(t([1, 2, 3, 4], [2, 2]), e([1, 2, 3, 4], [4]), tol)).toMatch(/shape mismatch.*\[2, 2\].*\[4\]/);
    expect(compareTensors(t([1, 2, 3, 4], [2, 2]), e([1, 2, 3, 4], [1, 2, 2]), tol)).toMatch(/shape mismatch/);
    expect(compareTensors(t([1, 2, 3], [2, 2]), e([1, 2, 3, 4], [2, 2]), tol)).toMatch(/data length/);
    expect(compareTensors(undefined as never, e([1]), tol)).toMatch(/not a tensor/);
  });

  test('the report gives the count, the max abs error with its index and the first mismatches', () => {
    const shape = [2, 3, 4];
    const expected = Array.from({ length: 24 }, (_, i) => i / 10);
    const actual = [...expected];
    actual[5] = expected[5]! + 0.5; // [0, 1, 1]
    actual[17] = expected[17]! - 2; // [1, 1, 1]
    actual[23] = NaN; // [1, 2, 3]
    const report = compareTensors(t(actual, shape), e(expected, shape), tol)!;
    expect(report).toContain('3 of 24 elements differ');
    expect(report).toMatch(/max abs error Infinity at \[1, 2, 3\]/);
    expect(report).toContain('at [0, 1, 1]: actual');
    expect(report).toContain('at [1, 1, 1]: actual');
    expect(report).toContain('at [1, 2, 3]: actual NaN');
    expect(report.indexOf('[0, 1, 1]: actual')).toBeLessThan(report.indexOf('[1, 1, 1]: actual'));
  });

  test('lists at most five mismatches, counts all', () => {
    const report = compareTensors(t(new Array(100).fill(1)), e(new Array(100).fill(0)), tol)!;
    expect(report).toContain('100 of 100');
    expect(report.match(/: actual /g)).toHaveLength(5);
  });

  test('expectClose throws the report; compareOutputs names the output', () => {
    expect(() => expectClose(t([1]), e([1.5]), tol)).toThrow(/1 of 1 elements differ/);
    expect(() => expectClose(t([1]), e([1]), tol)).not.toThrow();
    expect(compareOutputs([t([1]), t([2])], [e([1]), e([3])], tol)).toMatch(/^output 1: /);
    expect(compareOutputs(t([1]), [e([1]), e([3])], tol)).toMatch(/expected 2 output/);
    expect(compareOutputs(t([1]), [e([1])], tol)).toBeNull();
    expect(maxAbsError([t([1, 2])], [e([1.5, 2])])).toBeCloseTo(0.5);
  });

  test('unravel gives row-major indices', () => {
    expect(unravel(0, [2, 3, 4])).toEqual([0, 0, 0]);
    expect(unravel(23, [2, 3, 4])).toEqual([1, 2, 3]);
    expect(unravel(13, [2, 3, 4])).toEqual([1, 0, 1]);
  });
});

describe('seeded random helpers', () => {
  test('the same seed gives the same numbers; different seeds differ; ranges hold', () => {
    const a = new Rng(seedOf('case')).fill(1000, -0.5, 0.5);
    const b = new Rng(seedOf('case')).fill(1000, -0.5, 0.5);
    const c = new Rng(seedOf('case2')).fill(1000, -0.5, 0.5);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(a.every((v) => v >= -0.5 && v <= 0.5)).toBe(true);
    // Roughly uniform: mean near 0, both halves used.
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    const r = new Rng(1);
    for (let i = 0; i < 100; i++) {
      const k = r.int(2, 5);
      expect(Number.isInteger(k) && k >= 2 && k <= 5).toBe(true);
    }
    expect(randomTensor(new Rng(3), [2, 3, 4]).data).toHaveLength(24);
  });
});
