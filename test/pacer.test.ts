/**
 * How long predict() sleeps before awaiting the GPU on a CPU-emulated adapter under Node
 * (src/gpu/pacer.ts). Its effect on speed is measured in bench/, not here; the forward passes it paces
 * are checked against the CPU reference in gpu-vs-cpu.test.ts (lavapipe under Node: pacer active).
 */
import { describe, expect, test } from 'vitest';
import {
  HostPacer, MIN_SLEEP_MS, OVERSLEPT_MS, OVERSLEPT_SHRINK, POLL_GAP_MAX_US, POLL_GAP_US, SLEEP_SHARE, hostPolls, isNative, pollGapUs,
  spacedPolls,
} from '../src/gpu/pacer.js';

describe('HostPacer', () => {
  test('a first run, its second (the first includes compiling), and any run where the host does not poll await at once', () => {
    const plan = {};
    const pacer = new HostPacer(true);
    expect(pacer.sleepFor(plan)).toBe(0);
    pacer.record(plan, 2000, 2000);
    expect(pacer.sleepFor(plan)).toBe(0);
    const off = new HostPacer(false);
    off.record(plan, 200, 200);
    off.record(plan, 200, 200);
    expect(off.sleepFor(plan)).toBe(0);
  });

  test('sleeps a share of the last measured duration, per plan', () => {
    const pacer = new HostPacer(true);
    const a = {};
    const b = {};
    for (const [plan, ms] of [[a, 100], [b, 40]] as const) {
      pacer.record(plan, 3000, 3000);
      pacer.record(plan, ms, ms);
    }
    expect(pacer.sleepFor(a)).toBeCloseTo(SLEEP_SHARE * 100);
    expect(pacer.sleepFor(b)).toBeCloseTo(SLEEP_SHARE * 40);
    // Still running when the sleep ended (results well after waking): the pass measured itself.
    pacer.record(a, 70, 70 - SLEEP_SHARE * 100 + 20);
    expect(pacer.sleepFor(a)).toBeCloseTo(SLEEP_SHARE * 70);
    pacer.record(a, 120, 120 - SLEEP_SHARE * 70);
    expect(pacer.sleepFor(a)).toBeCloseTo(SLEEP_SHARE * 120);
  });

  test('a slower pass raises the expectation at most twofold, so one stall is not slept through', () => {
    const pacer = new HostPacer(true);
    const plan = {};
    pacer.record(plan, 50, 50);
    pacer.record(plan, 50, 50);
    pacer.record(plan, 2000, 2000 - SLEEP_SHARE * 50);
    expect(pacer.sleepFor(plan)).toBeCloseTo(SLEEP_SHARE * 100);
  });

  test('results within OVERSLEPT_MS of waking shrink the expectation, whatever the submit and timer cost', () => {
    const pacer = new HostPacer(true);
    const plan = {};
    pacer.record(plan, 1500, 1500);
    pacer.record(plan, 1000, 1000);
    // Timer lateness and the submit call make ms exceed the planned sleep by more than OVERSLEPT_MS;
    // what counts is how long the results took after waking.
    const slept = pacer.sleepFor(plan);
    pacer.record(plan, slept + 3 * OVERSLEPT_MS, OVERSLEPT_MS / 2);
    expect(pacer.sleepFor(plan)).toBeCloseTo(SLEEP_SHARE * OVERSLEPT_SHRINK * (slept + 3 * OVERSLEPT_MS));
    // An 8 ms pass after a 1000 ms one: a few oversleeps bring the sleep under it, and it stays there.
    let runs = 0;
    for (let s = pacer.sleepFor(plan); s > 8; s = pacer.sleepFor(plan), runs++) pacer.record(plan, s + 3, 0.5);
    expect(runs).toBeLessThanOrEqual(16);
    for (let i = 0; i < 20; i++) {
      const s = pacer.sleepFor(plan);
      pacer.record(plan, Math.max(8, s + 1), Math.max(8, s + 1) - s);
    }
    expect(pacer.sleepFor(plan)).toBeLessThanOrEqual(SLEEP_SHARE * 8 + 1e-9);
  });

  test('does not sleep for short passes, where the timer would cost more than it saves', () => {
    const pacer = new HostPacer(true);
    const plan = {};
    pacer.record(plan, 100, 100);
    pacer.record(plan, (MIN_SLEEP_MS / SLEEP_SHARE) * 0.9, 3);
    expect(pacer.sleepFor(plan)).toBe(0);
  });

  test('pause() sleeps about sleepFor()', async () => {
    const pacer = new HostPacer(true);
    const plan = {};
    pacer.record(plan, 100, 100);
    pacer.record(plan, 40, 40);
    const t0 = performance.now();
    await pacer.pause(plan);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(SLEEP_SHARE * 40 - 2);
  });

  test('Node polls from the JS thread, also with a GPU on navigator.gpu; Electron and Deno do not', () => {
    expect(hostPolls()).toBe(true);
    const node = { versions: { node: '20.0.0' } };
    expect(hostPolls({ process: node, navigator: { gpu: {} } })).toBe(true);
    expect(hostPolls({ process: { versions: { node: '20.0.0', electron: '30.0.0' } }, navigator: { gpu: {} } })).toBe(false);
    expect(hostPolls({ process: node, Deno: {} })).toBe(false);
    expect(hostPolls({ navigator: { gpu: {} } })).toBe(false);
  });
});

describe('spacedPolls', () => {
  /** A host whose setImmediate records what it was asked to schedule. */
  function fakeHost() {
    const calls: unknown[] = [];
    const original = (callback: unknown) => {
      calls.push(callback);
      return 'handle';
    };
    return { calls, original, host: { setImmediate: original as (cb: (...a: unknown[]) => void, ...a: unknown[]) => unknown } };
  }

  test('tells native callbacks (Dawn re-polls with one) from JavaScript ones', () => {
    expect(isNative(Math.max)).toBe(true);
    expect(isNative(setImmediate)).toBe(false); // Node's own setImmediate is JavaScript
    expect(isNative(() => 1)).toBe(false);
    expect(isNative(function named() { return '[native code]'; })).toBe(false);
    expect(isNative(undefined)).toBe(false);
  });

  test('the gap starts at POLL_GAP_US and grows to 2% of the time waited, up to POLL_GAP_MAX_US', () => {
    expect(pollGapUs(0)).toBe(POLL_GAP_US);
    expect(pollGapUs(5)).toBe(POLL_GAP_US);
    expect(pollGapUs(50)).toBeCloseTo(1000);
    expect(pollGapUs(1e6)).toBe(POLL_GAP_MAX_US);
  });

  test('spaces native callbacks by POLL_GAP_US while a wait runs, passes the rest straight through, then puts setImmediate back', async () => {
    const { calls, original, host } = fakeHost();
    const js = () => 0;
    const result = await spacedPolls(async () => {
      expect(host.setImmediate).not.toBe(original);
      const t0 = performance.now();
      for (let i = 0; i < 5; i++) expect(host.setImmediate(Math.max as () => void)).toBe('handle');
      expect(performance.now() - t0).toBeGreaterThanOrEqual((5 * POLL_GAP_US) / 1000 - 0.05);
      host.setImmediate(js, 1, 2);
      return 'done';
    }, host);
    expect(result).toBe('done');
    expect(calls).toEqual([Math.max, Math.max, Math.max, Math.max, Math.max, js]);
    expect(host.setImmediate).toBe(original);
  });

  test('overlapping waits keep the spacing until the last ends; a failing wait restores too', async () => {
    const { original, host } = fakeHost();
    let release!: () => void;
    const first = spacedPolls(() => new Promise<void>((r) => { release = r; }), host);
    const wrapper = host.setImmediate;
    expect(wrapper).not.toBe(original);
    await expect(spacedPolls(async () => {
      expect(host.setImmediate).toBe(wrapper);
      throw new Error('lost');
    }, host)).rejects.toThrow('lost');
    expect(host.setImmediate).toBe(wrapper);
    release();
    await first;
    expect(host.setImmediate).toBe(original);
  });

  test('leaves a setImmediate someone else installed during the wait, and hosts without one alone', async () => {
    const { host } = fakeHost();
    const theirs = () => 'theirs';
    await spacedPolls(async () => { host.setImmediate = theirs; }, host);
    expect(host.setImmediate).toBe(theirs);
    const bare: { setImmediate?: undefined } = {};
    expect(await spacedPolls(async () => 7, bare)).toBe(7);
    expect('setImmediate' in bare).toBe(false);
  });

  test("Node's setImmediate still runs callbacks inside and is itself again after", async () => {
    const before = globalThis.setImmediate;
    const ran = await spacedPolls(() => new Promise<string>((resolve) => setImmediate(resolve, 'ran')));
    expect(ran).toBe('ran');
    expect(globalThis.setImmediate).toBe(before);
  });
});
