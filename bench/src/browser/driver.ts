/**
 * Browser mode: serves the page bundle (bench/dist/page/page.js, built by bench/build.mjs) on
 * 127.0.0.1 and drives headless Chromium through puppeteer-core, one config and runner at a time.
 * Chromium flags as in test/browser.test.ts (SwiftShader's WebGPU unless --chrome-adapter default).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { selectConfigs, type Args } from '../args.js';
import { allConfigs } from '../configs.js';
import { isSoftwareAdapter } from '../core.js';
import type { BenchRecord, RunContext } from '../measure.js';
import type { PageBench } from './page.js';

const CHROME = process.env.CHROME_PATH || '/usr/bin/chromium';
const BROWSER_RUNNERS = ['webgpu-rnn', 'tfjs-webgpu'];

function chromeArgs(adapter: string): string[] {
  return [
    '--headless=new', '--no-sandbox', '--enable-unsafe-webgpu',
    ...(adapter === 'swiftshader' ? ['--enable-unsafe-swiftshader', '--use-webgpu-adapter=swiftshader'] : []),
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
    '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
  ];
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>webgpu-rnn bench</title><script type="module" src="/page.js"></script>`;

function serve(script: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    else if (req.url === '/favicon.ico') res.writeHead(204).end();
    else if (req.url === '/page.js') res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
    else res.writeHead(404).end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` }));
  });
}

export async function runBrowser(
  args: Args, root: string, ctx: RunContext, say: (s: string) => void, emit: (r: BenchRecord) => void,
): Promise<BenchRecord[]> {
  const wanted = args.runners ?? BROWSER_RUNNERS;
  const unknown = wanted.filter((r) => !BROWSER_RUNNERS.includes(r));
  if (unknown.length) throw new Error(`browser mode runs ${BROWSER_RUNNERS.join(', ')}; not ${unknown.join(', ')}`);
  // tfjs webgpu takes up to a minute per pass on SwiftShader: browser mode runs a-d unless told otherwise.
  const configs = selectConfigs(args.configs ?? ['issue'], allConfigs().map((c) => c.name));
  const script = readFileSync(join(root, 'bench', 'dist', 'page', 'page.js'), 'utf8');
  const { server, url } = await serve(script);
  const profile = mkdtempSync(join(tmpdir(), 'webgpu-rnn-bench-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROME, headless: true, args: chromeArgs(args.chromeAdapter), userDataDir: profile, protocolTimeout: 60 * 60_000,
  });
  const records: BenchRecord[] = [];
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => say(`  [page error] ${e instanceof Error ? e.message : String(e)}`));
    page.on('console', (m) => { if (m.type() === 'error') say(`  [page console] ${m.text()}`); });
    await page.goto(url);
    await page.waitForFunction(() => window.__bench !== undefined, { timeout: 60_000 });
    const info = await page.evaluate(() => window.__bench!.info());
    if (info.backend !== 'webgpu') throw new Error(`the page has no WebGPU adapter (webgpu-rnn fell back to '${info.backend}')`);
    const short = args.quick || isSoftwareAdapter(info.adapter);
    say(`webgpu-rnn bench (browser): ${info.userAgent}\n  adapter ${info.adapter}; runners ${wanted.join(', ')}; configs ${configs.join(', ')}`);
    for (const config of configs) {
      for (const runner of wanted) {
        const r = await page.evaluate(
          (c, rn, choice, m, check, cx) => (window.__bench as PageBench).run(c, rn, choice, m, check, cx),
          config, runner, { short, full: args.full, seq: args.seq }, args.measure, args.check, ctx,
        );
        emit(r);
        records.push(r);
        say(`  ${r.config.padEnd(6)} ${r.runner.padEnd(12)} ${r.skipped ? `skipped: ${r.skipped}` : r.error ? `FAILED: ${r.error}` : `median ${r.median_ms} ms  min ${r.min_ms} ms  (${r.runs} runs, seq ${r.seq})  max err ${r.max_err?.toExponential(1)}${r.ok === false ? ' DISAGREES' : ''}`}`);
      }
    }
  } finally {
    await browser.close().catch(() => {});
    await new Promise((r) => server.close(r));
    rmSync(profile, { recursive: true, force: true });
  }
  return records;
}
