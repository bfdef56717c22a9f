/**
 * How long predict() sleeps before awaiting the GPU on a CPU-emulated adapter under Node
 * (src/gpu/pacer.ts). Its effect on speed is measured in bench/, not here; the forward passes it paces
 * are checked against the CPU reference in gpu-vs-cpu.test.ts (lavapipe under Node: pacer active).
 */
import { describe, expect, test } from 'vitest';
import { HostPacer, MIN_SLEEP_MS, SLEEP_SHARE, hostPolls } from '../src/gpu/pacer.js';

describe('HostPacer', () => {
  test('a first run, and any run where the host does not poll, awaits at once', () => {
    const plan = {};
    expect(new HostPacer(true).sleepFor(plan)).toBe(0);
    const off = new HostPacer(false);
    off.record(plan, 200);
    expect(off.sleepFor(plan)).toBe(0);
  });

  test('sleeps a share of the expected duration, per plan', () => {
    const pacer = new HostPacer(true);
    const a = {};
    const b = {};
    pacer.record(a, 100);
    pacer.record(b, 40);
    expect(pacer.sleepFor(a)).toBeCloseTo(SLEEP_SHARE * 100);
    expect(pacer.sleepFor(b)).toBeCloseTo(SLEEP_SHARE * 40);
  });

  test('follows a faster run at once and a slower one halfway', () => {
    const pacer = new HostPacer(true);
    const plan = {};
    pacer.record(plan, 100);
    pacer.record(plan, 60);
    expect(pacer.sleepFor(plan)).toBeCloseTo(SLEEP_SHARE * 60);
    pacer.record(plan, 100);
    expect(pacer.sleepFor(plan)).toBeCloseTo(SLEEP_SHARE * 80);
  });

  test('does not sleep for short passes, where the timer would cost more than it saves', () => {
    const pacer = new HostPacer(true);
    const plan = {};
    pacer.record(plan, (MIN_SLEEP_MS / SLEEP_SHARE) * 0.9);
    expect(pacer.sleepFor(plan)).toBe(0);
    pacer.record(plan, 0.5);
    expect(pacer.sleepFor(plan)).toBe(0);
  });

  test('pause() sleeps about sleepFor()', async () => {
    const pacer = new HostPacer(true);
    const plan = {};
    pacer.record(plan, 40);
    const t0 = performance.now();
    await pacer.pause(plan);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(SLEEP_SHARE * 40 - 2);
  });

  test('Node polls from the JS thread', () => {
    expect(hostPolls()).toBe(true);
  });
});
