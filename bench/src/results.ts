/** Reading and writing result files (JSON lines): ours, and cudnn_rnn.py's lines turned into records. */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { allConfigs } from './configs.js';
import type { BenchRecord } from './measure.js';

/** One line of .gpu-kit/cudnn_rnn.py's output. */
interface CudnnLine {
  system: 'cudnn';
  device: string;
  cudnn: number;
  cell: string;
  layers: number;
  input: number;
  hidden: number;
  batch: number;
  seq: number;
  dtype: 'fp32' | 'fp16';
  tf32: boolean;
  bidirectional: boolean;
  eager_ms: number;
  graph_ms: number;
}

/** cuDNN eager and CUDA-graph records for the configs whose `cudnn` spec (and precision) the line matches. */
export function cudnnRecords(line: CudnnLine, date: string, command: string): BenchRecord[] {
  const key = `${line.cell}:${line.layers}:${line.input}:${line.hidden}:${line.batch}`;
  const precision = line.dtype === 'fp16' ? 'f16' : 'f32';
  return allConfigs()
    .filter((c) => c.cudnn && c.cudnn.spec.split(':').slice(0, 5).join(':') === key && c.precision === precision && !line.bidirectional)
    .flatMap((c) => {
      const repeat = c.cudnn!.repeat ?? 1;
      const steps = c.spec.branches.reduce((s, b) => s + line.seq * b.layers.length, 0);
      const device = `${line.device}, cuDNN ${line.cudnn} through PyTorch${line.dtype === 'fp32' && line.tf32 ? ' (TF32 allowed)' : ''}`;
      return (['eager', 'graph'] as const).map((kind) => {
        const ms = (kind === 'eager' ? line.eager_ms : line.graph_ms) * repeat;
        return {
          config: c.name, title: c.title, runner: `cudnn-${kind}`, mode: 'gpu', device, precision: c.precision,
          batch: line.batch, seq: line.seq, layer_steps: steps, median_ms: Number(ms.toPrecision(4)), runs: 20,
          us_per_layer_step: Number(((ms * 1000) / steps).toPrecision(4)), tolerance: c.tolerance, date, command,
        } satisfies BenchRecord;
      });
    });
}

/** Records from a JSON-lines file (ours as they are, cudnn_rnn.py's converted); other lines are ignored. */
export function readRecords(file: string): BenchRecord[] {
  if (!existsSync(file)) return [];
  // cudnn_rnn.py prints no date: bench/gpu/run.sh adds one, else the file's time stands in for it.
  const fallbackDate = statSync(file).mtime.toISOString();
  const out: BenchRecord[] = [];
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    const t = text.trim();
    if (!t.startsWith('{')) continue;
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(t) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (obj.system === 'cudnn') out.push(...cudnnRecords(obj as unknown as CudnnLine, String(obj.date ?? fallbackDate), String(obj.command ?? 'python3 .gpu-kit/cudnn_rnn.py (bench/gpu/run.sh)')));
    else if (typeof obj.config === 'string' && typeof obj.runner === 'string') out.push(obj as unknown as BenchRecord);
  }
  return out;
}

export function writeRecords(file: string, records: BenchRecord[]): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

/** Saved records with each (config, runner) of `fresh` replaced: a partial run updates only what it ran. */
export function mergeRecords(saved: BenchRecord[], fresh: BenchRecord[]): BenchRecord[] {
  const key = (r: BenchRecord) => `${r.config}\u0000${r.runner}`;
  const replaced = new Set(fresh.map(key));
  return [...saved.filter((r) => !replaced.has(key(r))), ...fresh];
}
