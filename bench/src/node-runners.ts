/**
 * The runners of a Node run: webgpu-rnn on Dawn, tfjs-layers on its webgpu (the same Dawn adapter),
 * wasm and cpu backends, and onnxruntime-node on the CPU. Every peer is imported only when first used,
 * so a missing package (the GPU machine has only `webgpu`) skips that runner with a note.
 */
import { cpus } from 'node:os';
import * as lib from '../../src/index.js';
import { oursRunner } from './runners/ours.js';
import { ortRunner, type Ort } from './runners/ort.js';
import { cjs, tfjsRunner, tfjsWebgpuAdapter, type TfCore, type Tfjs, type TfLayers } from './runners/tfjs.js';
import type { Runner } from './runners/types.js';

let gpuInstalled: Promise<string | undefined> | undefined;

/**
 * Puts Dawn's GPU object on `navigator.gpu` and the GPU* constants on globalThis, as in a browser: tfjs'
 * webgpu backend looks for them when it is imported, and webgpu-rnn then uses the same GPU instance.
 * Returns why not, when the `webgpu` package can not be loaded.
 */
export function installNavigatorGpu(): Promise<string | undefined> {
  gpuInstalled ??= (async () => {
    const g = globalThis as { navigator?: { gpu?: unknown } };
    if (g.navigator?.gpu) return undefined;
    let webgpu: { create(flags: string[]): unknown; globals: object };
    try {
      // @ts-ignore -- the package has no types of its own here
      webgpu = cjs(await import('webgpu'));
    } catch (e) {
      return `the 'webgpu' package could not be loaded: ${e instanceof Error ? e.message : String(e)}`;
    }
    Object.assign(globalThis, webgpu.globals);
    const gpu = webgpu.create([]);
    if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    return undefined;
  })();
  return gpuInstalled;
}

let runtime: Promise<lib.Runtime> | undefined;

/** One webgpu-rnn runtime for the whole run (created on first use). */
export function sharedRuntime(): Promise<lib.Runtime> {
  runtime ??= installNavigatorGpu().then(() => lib.createRuntime());
  return runtime;
}

export async function disposeRuntime(): Promise<void> {
  if (runtime) (await runtime).dispose();
}

let tfBase: Promise<Tfjs> | undefined;

/**
 * tfjs (core, layers, cpu backend and the chained tensor ops tfjs-layers relies on, all through the
 * '@tensorflow/tfjs' package), one instance shared by every backend.
 */
function loadTfBase(): Promise<Tfjs> {
  tfBase ??= (async () => {
    // @ts-ignore -- bench/node_modules may be absent when the root project is type-checked
    const tf = cjs<TfCore & TfLayers>(await import('@tensorflow/tfjs'));
    return { core: tf, layers: tf };
  })();
  return tfBase;
}

const backendsLoaded = new Map<string, Promise<unknown>>();

function once(name: string, load: () => Promise<unknown>): Promise<unknown> {
  if (!backendsLoaded.has(name)) backendsLoaded.set(name, load());
  return backendsLoaded.get(name)!;
}

const cpuName = () => `${cpus()[0]?.model.trim() ?? 'cpu'} x${cpus().length}`;
const tfVersion = (tf: Tfjs) => tf.core.version_core ?? '';

const extraRunners: Runner[] = [];

/** Adds a runner to Node mode (after the built-in ones); see plugins.ts. */
export function registerNodeRunner(runner: Runner): void {
  if (extraRunners.some((r) => r.name === runner.name)) throw new Error(`bench: runner '${runner.name}' is registered twice`);
  extraRunners.push(runner);
}

export function nodeRunners(): Runner[] {
  return [
    oursRunner(lib, sharedRuntime),
    tfjsRunner('tfjs-webgpu', 'webgpu', async () => {
      const why = await installNavigatorGpu();
      if (why) throw new Error(why);
      const tf = await loadTfBase();
      // @ts-ignore -- as above
      await once('webgpu', () => import('@tensorflow/tfjs-backend-webgpu'));
      return tf;
    }, (tf) => `tfjs ${tfVersion(tf)} webgpu backend on Dawn: ${tfjsWebgpuAdapter(tf)}`),
    tfjsRunner('tfjs-wasm', 'wasm', async () => {
      const tf = await loadTfBase();
      // @ts-ignore -- as above
      await once('wasm', () => import('@tensorflow/tfjs-backend-wasm'));
      return tf;
    }, (tf) => `tfjs ${tfVersion(tf)} wasm backend (${cpuName()})`),
    tfjsRunner('tfjs-cpu', 'cpu', async () => {
      const tf = await loadTfBase();
      return tf; // '@tensorflow/tfjs' registers the cpu backend
    }, (tf) => `tfjs ${tfVersion(tf)} cpu backend, plain JS (${cpuName()})`),
    // @ts-ignore -- as above
    ortRunner(async () => cjs<Ort>(await import('onnxruntime-node'))),
    ...extraRunners,
  ];
}
