/**
 * How long predict() sleeps before awaiting the GPU on a CPU-emulated adapter under Node
 * (src/gpu/pacer.ts). Its effect on speed is measured in bench/, not here; the forward passes it paces
 * are checked against the CPU reference in gpu-vs-cpu.test.ts (lavapipe under Node: pacer active).
 */
import { describe, expect, test } from 'vitest';
import { HostPacer, MIN_SLEEP_MS, OVERSLEPT_MS, SLEEP_SHARE, hostPolls } from '../src/gpu/pacer.js';

describe('HostPacer', () => {
  test('a first run, its second (the first includes compiling), and any run where the host does not poll await at once', () => {
    const plan = {};
    const pacer = new HostPacer(true);
    expect(pacer.sleepFor(plan)).toBe(0);
    pacer.record(plan, 2000, 0);
    expect(pacer.sleepFor(plan)).toBe(0);
    const off = new HostPacer(false);
    off.record(plan, 200, 0);
    off.record(plan, 200, 0);
    expect(off.sleepFor(plan)).toBe(0);
  });

  test('sleeps a share of the last measured duration, per plan', () => {
    const pacer = new HostPacer(true);
    const a = {};
    const b = {};
    for (const [plan, ms] of [[a, 100], [b, 40]] as const) {
      pacer.record(plan, 3000, 0);
      pacer.record(plan, ms, 0);
    }
    expect(pacer.sleepFor(a)).toBeCloseTo(SLEEP_SHARE * 100);
    expect(pacer.sleepFor(b)).toBeCloseTo(SLEEP_SHARE * 40);
    // Still running when the sleep ended: the pass measured itself, faster or slower.
    pacer.record(a, 70, SLEEP_SHARE * 100 - 30);
    expect(pacer.sleepFor(a)).toBeCloseTo(SLEEP_SHARE * 70);
    pacer.record(a, 120, SLEEP_SHARE * 70);
    expect(pacer.sleepFor(a)).toBeCloseTo(SLEEP_SHARE * 120);
  });

  test('a pass done before the sleep ended halves the expectation, so an oversleep does not last', () => {
    const pacer = new HostPacer(true);
    const plan = {};
    pacer.record(plan, 1500, 0);
    pacer.record(plan, 1000, 0);
    let slept = pacer.sleepFor(plan);
    pacer.record(plan, slept + OVERSLEPT_MS / 2, slept);
    expect(pacer.sleepFor(plan)).toBeCloseTo((SLEEP_SHARE * (slept + OVERSLEPT_MS / 2)) / 2);
    // A 10 ms pass after a 1000 ms one: a few halvings bring the sleep under it.
    let runs = 0;
    for (slept = pacer.sleepFor(plan); slept > 10; slept = pacer.sleepFor(plan), runs++) pacer.record(plan, slept + 1, slept);
    expect(runs).toBeLessThanOrEqual(7);
  });

  test('does not sleep for short passes, where the timer would cost more than it saves', () => {
    const pacer = new HostPacer(true);
    const plan = {};
    pacer.record(plan, 100, 0);
    pacer.record(plan, (MIN_SLEEP_MS / SLEEP_SHARE) * 0.9, 0);
    expect(pacer.sleepFor(plan)).toBe(0);
  });

  test('pause() sleeps about sleepFor() and says how long', async () => {
    const pacer = new HostPacer(true);
    const plan = {};
    pacer.record(plan, 100, 0);
    pacer.record(plan, 40, 0);
    const t0 = performance.now();
    expect(await pacer.pause(plan)).toBeCloseTo(SLEEP_SHARE * 40);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(SLEEP_SHARE * 40 - 2);
  });

  test('Node polls from the JS thread', () => {
    expect(hostPolls()).toBe(true);
  });
});
