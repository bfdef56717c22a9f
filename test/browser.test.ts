/**
 * Runs the browser cases (test/support/cases.ts) inside headless Chromium on its WebGPU adapter
 * (SwiftShader on a machine without a GPU): bundles test/browser/entry.ts with Vite, serves it from
 * 127.0.0.1, drives Chromium with puppeteer-core and asserts on what the page reports. A CPU fallback
 * in the page fails the test.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserResults } from './browser/entry.js';
import { browserCases, browserGpuInputCases } from './support/cases.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHROME = process.env.CHROME_PATH || '/usr/bin/chromium';
/** The whole page run (every case) must finish within this. */
const PAGE_TIMEOUT_MS = 240_000;

const CHROME_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  // Chromium's bundled SwiftShader Vulkan: present wherever Chromium is, needs no GPU, deterministic.
  '--enable-unsafe-swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
];

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>webgpu-rnn browser test</title>
<script>
  // A failure before the harness starts (a module that does not load) still ends the wait.
  window.addEventListener('error', (e) => {
    window.__results ??= { done: false, cases: [] };
    window.__results.error = 'page error: ' + (e.message || e.type);
    window.__results.done = true;
  }, true);
</script>
<script type="module" src="/entry.js"></script>
`;

const caseNames = [...browserCases(), ...browserGpuInputCases()].map((c) => c.name);

let bundleDir = '';
let profileDir = '';
let server: Server | undefined;
let browser: Browser | undefined;
let results: BrowserResults | undefined;
const pageLog: string[] = [];

async function bundle(): Promise<string> {
  bundleDir = mkdtempSync(join(tmpdir(), 'webgpu-rnn-bundle-'));
  await build({
    configFile: false,
    root: ROOT,
    logLevel: 'warn',
    build: {
      outDir: bundleDir,
      emptyOutDir: false,
      target: 'es2022',
      minify: false,
      sourcemap: false,
      lib: { entry: join(ROOT, 'test/browser/entry.ts'), formats: ['es'], fileName: () => 'entry.js' },
    },
  });
  return readFileSync(join(bundleDir, 'entry.js'), 'utf8');
}

function serve(script: string): Promise<string> {
  server = createServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else if (req.url === '/favicon.ico') {
      res.writeHead(204).end();
    } else if (req.url === '/entry.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server!.once('error', reject);
    server!.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server!.address() as AddressInfo).port}/`));
  });
}

beforeAll(async () => {
  const url = await serve(await bundle());
  profileDir = mkdtempSync(join(tmpdir(), 'webgpu-rnn-chromium-'));
  browser = await puppeteer.launch({
    executablePath: CHROME,
    headless: true,
    args: CHROME_ARGS,
    userDataDir: profileDir,
    protocolTimeout: PAGE_TIMEOUT_MS + 60_000,
  });
  const page = await browser.newPage();
  page.on('console', (m) => pageLog.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => pageLog.push(`[pageerror] ${e instanceof Error ? e.message : String(e)}`));
  await page.goto(url);
  try {
    await page.waitForFunction(() => window.__results?.done === true, { timeout: PAGE_TIMEOUT_MS, polling: 500 });
  } finally {
    results = await page.evaluate(() => window.__results);
  }
  const ms = results?.cases.reduce((a, c) => a + c.ms, 0) ?? 0;
  console.log(`browser: ${results?.cases.length ?? 0} cases on ${results?.backend} (${results?.adapterInfo}) in ${(ms / 1000).toFixed(1)} s`);
}, PAGE_TIMEOUT_MS + 120_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  for (const dir of [bundleDir, profileDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

function log(): string {
  return pageLog.slice(-30).join('\n');
}

describe('headless Chromium', () => {
  it('runs the harness to the end on WebGPU, not the CPU fallback', () => {
    expect(results, `no results from the page; its log:\n${log()}`).toBeDefined();
    expect(results!.done, `the page did not finish within ${PAGE_TIMEOUT_MS / 1000} s; page log:\n${log()}`).toBe(true);
    expect(results!.error, `harness error; page log:\n${log()}`).toBeUndefined();
    expect(results!.backend, `the page fell back to '${results!.backend}'; page log:\n${log()}`).toBe('webgpu');
    expect(caseNames.length, 'browserCases() is empty').toBeGreaterThan(0);
    expect(browserGpuInputCases(), 'the cases run with inputs in GPU buffers (renamed?)').toHaveLength(3);
    expect(results!.cases.map((c) => c.name)).toEqual(caseNames);
  });

  it.each(caseNames)('%s', (name) => {
    const r = results?.cases.find((c) => c.name === name);
    expect(r, `case '${name}' did not run in the page; page log:\n${log()}`).toBeDefined();
    expect(results!.backend, `case '${name}' ran on the CPU fallback, not WebGPU`).toBe('webgpu');
    expect(r!.report, `case '${name}' on ${results!.adapterInfo}`).toBeNull();
  });
});
