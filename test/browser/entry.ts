/**
 * The page side of the browser test (test/browser.test.ts bundles this file with Vite and loads it in
 * headless Chromium). It runs every browser case on the page's WebGPU adapter through the browser
 * entry of the library, compares each against the float64 CPU reference, and leaves the results in
 * `window.__results` for the Node side to assert on.
 */
import { createRuntime, runReference, type Runtime } from '../../src/browser.js';
import { browserCases, browserGpuInputCases, type GpuCase } from '../support/cases.js';
import { compareOutputs } from '../support/compare.js';

export interface CaseResult {
  name: string;
  /** null when every output matched the reference within the case's tolerance. */
  report: string | null;
  ms: number;
}

export interface BrowserResults {
  done: boolean;
  backend?: string;
  adapterInfo?: string;
  cases: CaseResult[];
  /** Set when the harness itself failed (no case results can be trusted then). */
  error?: string;
}

declare global {
  interface Window {
    __results?: BrowserResults;
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/**
 * One case inside a validation error scope; any GPU validation error fails it. With `onGpu`, every input
 * goes to predict() as a GPU buffer of the runtime's device.
 */
async function runCase(rt: Runtime, c: GpuCase, onGpu = false): Promise<string | null> {
  const { model, inputs, lengths } = c.build();
  const expected = runReference(model, inputs, { lengths });
  rt.device?.pushErrorScope('validation');
  let report: string | null;
  const buffers: GPUBuffer[] = [];
  try {
    const run = await rt.compile(model);
    try {
      const given = onGpu ? inputs.map((t) => {
        const buffer = rt.device!.createBuffer({ size: t.data.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
        rt.device!.queue.writeBuffer(buffer, 0, t.data);
        buffers.push(buffer);
        return { buffer, shape: t.shape };
      }) : inputs;
      const y = await run.predict(given, lengths ? { lengths } : undefined);
      report = compareOutputs(y, expected, c);
    } finally {
      run.dispose();
      for (const b of buffers) b.destroy();
    }
  } catch (e) {
    report = `threw ${errorText(e)}`;
  }
  const gpuError = await rt.device?.popErrorScope();
  if (gpuError) report = `${report ? `${report}\n` : ''}GPU validation error: ${gpuError.message}`;
  return report;
}

async function main(results: BrowserResults): Promise<void> {
  const rt = await createRuntime();
  results.backend = rt.backend;
  results.adapterInfo = rt.adapterInfo;
  console.log(`webgpu-rnn browser test: backend ${rt.backend}, adapter ${rt.adapterInfo}`);
  try {
    const cases = [...browserCases().map((c) => [c, false] as const), ...browserGpuInputCases().map((c) => [c, true] as const)];
    for (const [c, onGpu] of cases) {
      const t0 = performance.now();
      let report: string | null;
      try {
        report = await runCase(rt, c, onGpu);
      } catch (e) {
        report = `threw ${errorText(e)}`;
      }
      const ms = Math.round(performance.now() - t0);
      results.cases.push({ name: c.name, report, ms });
      console.log(`${report === null ? 'ok  ' : 'FAIL'} ${c.name} (${ms} ms)`);
    }
  } finally {
    rt.dispose();
  }
}

const results: BrowserResults = { done: false, cases: [] };
window.__results = results;
main(results)
  .catch((e: unknown) => {
    results.error = e instanceof Error && e.stack ? e.stack : errorText(e);
  })
  .finally(() => {
    results.done = true;
  });
