/**
 * The page side of browser mode (bundled by bench/build.mjs, loaded by driver.ts in headless
 * Chromium): webgpu-rnn through its browser entry and tfjs-layers on tfjs' webgpu backend, both on the
 * page's navigator.gpu. The driver calls `window.__bench.run(...)` once per config and runner.
 */
// @ts-ignore -- bench/node_modules may be absent when the root project is type-checked
import * as tfjs from '@tensorflow/tfjs';
// @ts-ignore -- as above (registers the 'webgpu' backend when navigator.gpu exists)
import '@tensorflow/tfjs-backend-webgpu';
import * as lib from '../../../src/browser.js';
import { findConfig } from '../configs.js';
import { checkPlan, configData, effectiveConfig } from '../core.js';
import { benchOne, type BenchRecord, type MeasureOptions, type RunContext } from '../measure.js';
import { oursRunner } from '../runners/ours.js';
import { tfjsRunner, tfjsWebgpuAdapter, type TfCore, type Tfjs, type TfLayers } from '../runners/tfjs.js';
import type { Runner } from '../runners/types.js';

const tf: Tfjs = { core: tfjs as unknown as TfCore, layers: tfjs as unknown as TfLayers };

let runtime: Promise<lib.Runtime> | undefined;
const sharedRuntime = () => (runtime ??= lib.createRuntime());

const runners: Runner[] = [
  oursRunner(lib, sharedRuntime),
  tfjsRunner('tfjs-webgpu', 'webgpu', async () => tf, (t) => `tfjs ${t.core.version_core ?? ''} webgpu backend in Chromium: ${tfjsWebgpuAdapter(t)}`),
];


export interface PageBench {
  info(): Promise<{ adapter: string; backend: string; userAgent: string }>;
  run(config: string, runner: string, choice: { short: boolean; full: boolean; seq?: number }, measure: MeasureOptions, check: boolean, ctx: RunContext): Promise<BenchRecord>;
}

declare global {
  interface Window {
    __bench?: PageBench;
  }
}

window.__bench = {
  async info() {
    const rt = await sharedRuntime();
    return { adapter: rt.adapterInfo, backend: rt.backend, userAgent: navigator.userAgent };
  },
  async run(name, runnerName, choice, measure, check, ctx) {
    const base = findConfig(name);
    if (!base) throw new Error(`unknown config ${name}`);
    const runner = runners.find((r) => r.name === runnerName);
    if (!runner) throw new Error(`unknown browser runner ${runnerName}`);
    const config = effectiveConfig(base, choice);
    const data = configData(config);
    return benchOne(config, runner, data.weights, data.inputs, check ? checkPlan(lib, config) : undefined, measure, ctx);
  },
};
