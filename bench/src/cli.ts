/**
 * The harness's command line (Node). `npm run bench` bundles this file with Vite (bench/build.mjs) and
 * runs it; `bench/dist/cli.js` is the same program bundled with tfjs for the GPU machine, where only
 * `webgpu` is installed. `--help` lists the flags.
 */
import { appendFileSync, readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, selectConfigs, USAGE, type Args } from './args.js';
import { allConfigs, findConfig, type BenchConfig } from './configs.js';
import { checkPlan, configData, effectiveConfig, isSoftwareAdapter, type CheckPlan } from './core.js';
import { findRoot, resultsFile, writeDocs } from './docs.js';
import { benchOne, type BenchRecord, type RunContext } from './measure.js';
import { disposeRuntime, nodeRunners, sharedRuntime } from './node-runners.js';
import { oursCompileOptions } from './runners/ours.js';
import { terminalReport } from './report.js';
import { mergeRecords, readRecords, writeRecords } from './results.js';
import type { Runner } from './runners/types.js';
import * as lib from '../../src/index.js';
import './plugins.js';

process.env.XDG_RUNTIME_DIR ||= '/tmp'; // Dawn needs one

/** The library sources bench.mjs bundled (replaced at build time). */
declare const __BENCH_BUILD_SOURCE__: string;

let toStdout = true;
/** Progress and tables: stdout, or stderr when stdout carries --json lines. */
function say(text: string): void {
  (toStdout ? process.stdout : process.stderr).write(`${text}\n`);
}

function commandLine(argv: string[]): string {
  const shown = argv.map((a) => (/^[\w.,=/:@+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  const base = process.env.BENCH_COMMAND ?? `node ${process.argv[1] ? process.argv[1].replace(`${process.cwd()}/`, '') : 'bench/dist/cli.js'}`;
  const dashes = base.startsWith('npm') && !base.includes(' -- ') ? '-- ' : '';
  return `${base}${shown ? ` ${dashes}${shown}` : ''}`;
}

/** Fields every record of this process gets: the sources bundled, webgpu-rnn's extra compile options, the load. */
function annotate(r: BenchRecord): BenchRecord {
  r.load = Number(loadavg()[0]!.toFixed(2));
  r.cores = cpus().length;
  r.source = process.env.BENCH_SOURCE ?? (typeof __BENCH_BUILD_SOURCE__ === 'string' ? __BENCH_BUILD_SOURCE__ : undefined);
  if (r.runner === 'webgpu-rnn' && Object.keys(oursCompileOptions).length) r.compile_options = JSON.stringify(oursCompileOptions);
  return r;
}

function describeRecord(r: BenchRecord): string {
  const head = `${r.config.padEnd(6)} ${r.runner.padEnd(12)}`;
  if (r.skipped) return `${head} skipped: ${r.skipped}`;
  if (r.error) return `${head} FAILED: ${r.error}`;
  const err = r.max_err === undefined ? '' : `  max err ${r.max_err.toExponential(1)}${r.ok === false ? ` > ${r.tolerance} DISAGREES with the reference` : ''}`;
  return `${head} median ${r.median_ms} ms  min ${r.min_ms} ms  (${r.runs} runs, seq ${r.seq}, ${r.us_per_layer_step} µs/layer-step, load ${r.load})${err}`;
}

function pickRunners(all: Runner[], wanted: string[] | undefined): Runner[] {
  if (!wanted) return all;
  const unknown = wanted.filter((w) => !all.some((r) => r.name === w));
  if (unknown.length) throw new Error(`unknown runner(s) ${unknown.join(', ')}; known: ${all.map((r) => r.name).join(', ')}`);
  return all.filter((r) => wanted.includes(r.name));
}

function pickConfigs(args: Args): BenchConfig[] {
  return selectConfigs(args.configs, allConfigs().map((c) => c.name)).map((n) => findConfig(n)!);
}

async function runNode(args: Args, argv: string[]): Promise<BenchRecord[]> {
  const runners = pickRunners(nodeRunners(), args.runners);
  const configs = pickConfigs(args);
  const rt = await sharedRuntime();
  const adapter = rt.adapterInfo;
  const mode = args.mode ?? 'node';
  const ctx: RunContext = { mode, command: commandLine(argv), date: new Date().toISOString() };
  const short = args.quick || isSoftwareAdapter(adapter);
  say(`webgpu-rnn bench (${mode}): adapter ${adapter}; runners ${runners.map((r) => r.name).join(', ')}; configs ${configs.map((c) => c.name).join(', ')}`);
  if (short && !args.full && args.seq === undefined) say('  (software adapter or --quick: e and f run at their short sequence length; --full runs them whole)');
  const records: BenchRecord[] = [];
  for (const base of configs) {
    const config = effectiveConfig(base, { short, full: args.full, seq: args.seq });
    const data = configData(config);
    const seq = config.spec.branches[0]!.seq;
    let check: CheckPlan | undefined;
    let checkNote = 'not checked';
    if (args.check) {
      check = checkPlan(lib, config);
      const cseq = check.config.spec.branches[0]!.seq;
      checkNote = `reference${cseq !== seq ? ` at seq ${cseq}` : ''} ${check.seconds ? `${check.seconds.toFixed(1)} s` : 'cached'}`;
    }
    say(`${config.name}: ${config.title}${seq !== base.spec.branches[0]!.seq ? ` [seq ${seq}]` : ''} (${checkNote})`);
    for (const runner of runners) {
      const r = annotate(await benchOne(config, runner, data.weights, data.inputs, check, args.measure, ctx));
      records.push(r);
      say(`  ${describeRecord(r)}`);
      if (args.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      if (args.out) appendFileSync(args.out, `${JSON.stringify(r)}\n`);
    }
  }
  await disposeRuntime();
  return records;
}

function printCudnn(args: Args): void {
  const configs = pickConfigs(args).filter((c) => c.cudnn);
  for (const dtype of ['fp32', 'fp16'] as const) {
    const specs = configs.filter((c) => (c.precision === 'f16') === (dtype === 'fp16')).map((c) => {
      const parts = c.cudnn!.spec.split(':');
      if (args.seq !== undefined) parts[5] = String(args.seq);
      return parts.join(':');
    });
    if (specs.length) process.stdout.write(`${dtype} ${[...new Set(specs)].join(' ')}\n`);
  }
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  toStdout = !args.json;
  Object.assign(oursCompileOptions, args.oursOptions ?? {});
  if (args.browser && args.oursOptions) throw new Error('--ours-options is for Node mode only');
  const root = findRoot(process.cwd());
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.list) {
    for (const c of allConfigs()) say(`${c.name.padEnd(7)} ${c.title}${c.softwareSeq ? ` [seq ${c.softwareSeq} on a software adapter]` : ''}`);
    say(`runners (node): ${nodeRunners().map((r) => r.name).join(', ')}; (browser): webgpu-rnn, tfjs-webgpu`);
    return 0;
  }
  if (args.printCudnn) {
    printCudnn(args);
    return 0;
  }
  if (args.report) {
    const records = args.report.flatMap((f) => readRecords(f));
    for (const mode of [...new Set(records.map((r) => r.mode))]) say(terminalReport(records.filter((r) => r.mode === mode), mode));
    return 0;
  }
  if (args.docsOnly) {
    for (const f of writeDocs(root)) say(`wrote ${f}`);
    return 0;
  }
  if (args.importGpu) {
    const dir = resolve(args.importGpu);
    const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).map((f) => join(dir, f));
    const records = files.flatMap((f) => readRecords(f)).map((r) => ({ ...r, mode: 'gpu' }));
    if (!records.length) throw new Error(`no result lines in ${files.join(', ') || dir}`);
    writeRecords(resultsFile(root, 'gpu'), records);
    say(terminalReport(records, 'gpu'));
    for (const f of writeDocs(root)) say(`wrote ${f}`);
    return 0;
  }
  let records: BenchRecord[];
  let mode: string;
  if (args.browser) {
    const { runBrowser } = await import('./browser/driver.js');
    mode = args.mode ?? 'browser';
    records = await runBrowser(args, root, { mode, command: commandLine(argv), date: new Date().toISOString() }, say, (r) => {
      annotate(r);
      if (args.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      if (args.out) appendFileSync(args.out, `${JSON.stringify(r)}\n`);
    });
  } else {
    mode = args.mode ?? 'node';
    records = await runNode(args, argv);
  }
  say(terminalReport(records, mode));
  if (args.writeDocs) {
    const file = resultsFile(root, mode);
    writeRecords(file, mergeRecords(readRecords(file), records));
    for (const f of writeDocs(root)) say(`wrote ${f}`);
  }
  // A peer that fails or disagrees is reported, not fatal; webgpu-rnn failing or disagreeing is.
  return records.some((r) => r.runner === 'webgpu-rnn' && (r.error || r.ok === false)) ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(2);
  },
);
