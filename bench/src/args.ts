/** Command-line flags of the harness (Node CLI and browser driver alike). */
import type { MeasureOptions } from './measure.js';

export interface Args {
  configs?: string[];
  runners?: string[];
  measure: MeasureOptions;
  json: boolean;
  quick: boolean;
  full: boolean;
  seq?: number;
  check: boolean;
  writeDocs: boolean;
  browser: boolean;
  mode?: string;
  out?: string;
  report?: string[];
  importGpu?: string;
  printCudnn: boolean;
  docsOnly: boolean;
  list: boolean;
  help: boolean;
  /** Extra compile options for webgpu-rnn (JSON object), e.g. {"kernel":"step"}. */
  oursOptions?: Record<string, unknown>;
  /** Chromium's WebGPU adapter: 'swiftshader' (default, as the browser tests) or 'default' (a real GPU). */
  chromeAdapter: string;
}

export const USAGE = `webgpu-rnn benchmark harness

  npm run bench [-- flags]            Node: webgpu-rnn next to tfjs (cpu, wasm, webgpu) and onnxruntime-node
  npm run bench -- --browser          headless Chromium: webgpu-rnn next to tfjs webgpu
  npm run bench -- --src head ...     benchmark the committed src/ and shaders/ (HEAD), not the working tree
  node bench/dist/cli.js [flags]      the bundled CLI (GPU machine: bash bench/gpu/run.sh)

  --configs a,b,...   configs by name, or groups: all (default; issue in --browser), f32, f16, issue (a-d), big (e, f, e-x4, f-x4)
  --runners x,y       webgpu-rnn, tfjs-webgpu, tfjs-wasm, tfjs-cpu, ort-cpu (default: all of this mode)
  --runs N            at most N timed passes per runner and config (default 20)
  --min-runs N        at least N timed passes, even past the budget (default 3)
  --warmup N          warm-up passes (default 2; fewer when one pass is slow)
  --warmup-ms MS      then warm up until MS ms have passed, slow runners too (default 0; bench/gpu/run.sh: 1500, so the GPU's clock is up)
  --budget S          stop timing a runner after S seconds once --min-runs are done (default 10)
  --quick             --runs 5 --warmup 1 --budget 2, and the short sequence of e / f
  --full              e / f at full length on a software adapter too (minutes per pass)
  --seq N             every config at sequence length N
  --ours-options JSON extra compile options for webgpu-rnn, e.g. '{"kernel":"step"}' (recorded with the results);
                      '{"gpuInput":true}' passes the inputs as GPU buffers uploaded before timing
  --no-check          skip the float64 CPU reference check
  --json              JSON lines on stdout (progress and tables go to stderr)
  --out FILE          also append the JSON lines to FILE
  --write-docs        save the results in bench/results/<mode>.jsonl and regenerate docs/BENCHMARKS.md
  --mode NAME         label of this run's results (node, browser, gpu; default from how it runs)
  --report FILE...    print the tables of JSON-lines files (ours and cudnn_rnn.py's), run nothing
  --docs-only         rewrite docs/BENCHMARKS.md (and README's summary) from bench/results, run nothing
  --import-gpu DIR    take the GPU machine's JSON lines from DIR into bench/results/gpu.jsonl, rewrite the docs
  --print-cudnn       print the cudnn_rnn.py arguments of the selected configs, one line per dtype
  --chrome-adapter A  browser mode: swiftshader (default) or default
  --list              list configs and runners
`;

const GROUPS: Record<string, (name: string) => boolean> = {
  all: () => true,
  f32: (n) => !n.endsWith('-f16'),
  f16: (n) => n.endsWith('-f16'),
  issue: (n) => ['a', 'b', 'c', 'd'].includes(n),
  big: (n) => ['e', 'f', 'e-x4', 'f-x4'].includes(n),
};

/** Expands config names and groups against the registered names, keeping registry order. */
export function selectConfigs(wanted: string[] | undefined, names: string[]): string[] {
  if (!wanted) return names;
  const unknown = wanted.filter((w) => !GROUPS[w] && !names.includes(w));
  if (unknown.length) throw new Error(`unknown config(s) ${unknown.join(', ')}; known: ${names.join(', ')} and groups ${Object.keys(GROUPS).join(', ')}`);
  return names.filter((n) => wanted.some((w) => w === n || GROUPS[w]?.(n)));
}

function list(v: string | undefined, flag: string): string[] {
  if (!v) throw new Error(`${flag} needs a value`);
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

function num(v: string | undefined, flag: string): number {
  const n = Number(v);
  if (!v || !Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a non-negative number, got ${JSON.stringify(v)}`);
  return n;
}

export function parseArgs(argv: string[]): Args {
  const a: Args = {
    measure: { warmup: 2, warmupMs: 0, runs: 20, minRuns: 3, budgetMs: 10_000 },
    json: false, quick: false, full: false, check: true, writeDocs: false, browser: false, printCudnn: false, docsOnly: false,
    list: false, help: false, chromeAdapter: 'swiftshader',
  };
  const explicit = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.includes('=') ? (argv[i]!.split(/=(.*)/s, 2) as [string, string]) : [argv[i]!, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--configs': a.configs = list(value(), flag); break;
      case '--runners': a.runners = list(value(), flag); break;
      case '--runs': a.measure.runs = Math.max(1, num(value(), flag)); explicit.add('runs'); break;
      case '--min-runs': a.measure.minRuns = num(value(), flag); explicit.add('minRuns'); break;
      case '--warmup': a.measure.warmup = num(value(), flag); explicit.add('warmup'); break;
      case '--warmup-ms': a.measure.warmupMs = num(value(), flag); break;
      case '--budget': a.measure.budgetMs = num(value(), flag) * 1000; explicit.add('budget'); break;
      case '--quick': a.quick = true; break;
      case '--full': a.full = true; break;
      case '--seq': a.seq = Math.max(1, Math.round(num(value(), flag))); break;
      case '--no-check': a.check = false; break;
      case '--ours-options': {
        const v = value();
        try {
          a.oursOptions = JSON.parse(v ?? '') as Record<string, unknown>;
        } catch {
          throw new Error(`--ours-options needs a JSON object, got ${JSON.stringify(v)}`);
        }
        break;
      }
      case '--json': a.json = true; break;
      case '--out': a.out = value(); break;
      case '--write-docs': a.writeDocs = true; break;
      case '--browser': a.browser = true; break;
      case '--mode': a.mode = value(); break;
      case '--report': {
        a.report = [];
        while (argv[i + 1] && !argv[i + 1]!.startsWith('--')) a.report.push(argv[++i]!);
        break;
      }
      case '--import-gpu': a.importGpu = value(); break;
      case '--print-cudnn': a.printCudnn = true; break;
      case '--docs-only': a.docsOnly = true; break;
      case '--chrome-adapter': a.chromeAdapter = value() ?? 'swiftshader'; break;
      case '--list': a.list = true; break;
      case '--help': case '-h': a.help = true; break;
      default: throw new Error(`unknown flag ${argv[i]}\n\n${USAGE}`);
    }
  }
  if (a.quick) {
    if (!explicit.has('runs')) a.measure.runs = 5;
    if (!explicit.has('warmup')) a.measure.warmup = 1;
    if (!explicit.has('budget')) a.measure.budgetMs = 2000;
  }
  a.measure.minRuns = Math.min(a.measure.minRuns, a.measure.runs);
  return a;
}
