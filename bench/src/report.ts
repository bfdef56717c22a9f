/** Markdown tables, target checks and the slower-than-a-peer list, from result records. */
import { allConfigs, type BenchConfig } from './configs.js';
import type { BenchRecord } from './measure.js';

/** Column order of the tables; runners not listed here follow in the order they appear. */
export const RUNNER_ORDER = ['webgpu-rnn', 'tfjs-webgpu', 'tfjs-wasm', 'tfjs-cpu', 'ort-cpu', 'cudnn-eager', 'cudnn-graph'];
const OURS = 'webgpu-rnn';

export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toPrecision(2);
}

/** A number with about three significant digits, never in exponent notation. */
export function formatNum(x: number): string {
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  if (x >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

function formatRatio(r: number): string {
  if (r >= 100) return `${r.toFixed(0)}×`;
  if (r >= 10) return `${r.toFixed(1)}×`;
  return `${r.toFixed(2)}×`;
}

function ordered<T>(items: T[], key: (t: T) => string, order: string[]): T[] {
  const idx = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
  return items.map((t, i) => ({ t, i })).sort((x, y) => idx(key(x.t)) - idx(key(y.t)) || x.i - y.i).map((x) => x.t);
}

export function runnersOf(records: BenchRecord[]): string[] {
  return ordered([...new Set(records.map((r) => r.runner))], (s) => s, RUNNER_ORDER);
}

export function configsOf(records: BenchRecord[]): string[] {
  const registered = allConfigs().map((c) => c.name);
  return ordered([...new Set(records.map((r) => r.config))], (s) => s, registered);
}

function find(records: BenchRecord[], config: string, runner: string): BenchRecord | undefined {
  return records.find((r) => r.config === config && r.runner === runner);
}

function configLabel(records: BenchRecord[], config: string): string {
  const r = records.find((x) => x.config === config)!;
  const registered = allConfigs().find((c) => c.name === config);
  const full = registered?.spec.branches[0]?.seq;
  const seq = full !== undefined && r.seq !== full ? ` (**seq ${r.seq}**, not ${full})` : '';
  return `${config}: ${r.title}${seq}`;
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(header: string[], rows: string[][]): string {
  return [row(header), row(header.map(() => '---')), ...rows.map(row)].join('\n');
}

function timeCell(r: BenchRecord | undefined): string {
  if (!r) return '';
  if (r.skipped) return 'skipped';
  if (r.error) return 'error';
  const flag = r.ok === false ? ' ⚠' : '';
  return r.min_ms !== undefined ? `${formatMs(r.median_ms)} (${formatMs(r.min_ms)})${flag}` : `${formatMs(r.median_ms)}${flag}`;
}

/** Median (min) ms per whole forward pass, one row per config, one column per runner. */
export function timeTable(records: BenchRecord[]): string {
  const runners = runnersOf(records);
  return table(['config', ...runners], configsOf(records).map((c) => [configLabel(records, c), ...runners.map((r) => timeCell(find(records, c, r)))]));
}

/** µs per recurrent layer-step (median pass / (seq x layers)). */
export function layerStepTable(records: BenchRecord[]): string {
  const runners = runnersOf(records);
  return table(['config', 'layer-steps', ...runners], configsOf(records).map((c) => [
    c, String(records.find((r) => r.config === c)!.layer_steps),
    ...runners.map((r) => { const x = find(records, c, r); return x?.us_per_layer_step !== undefined ? formatNum(x.us_per_layer_step) : x?.skipped ? 'skipped' : ''; }),
  ]));
}

/**
 * Peer median / webgpu-rnn median per config: above 1, webgpu-rnn is faster. An f16 config, which no
 * peer runs, is compared with the peers' f32 times of its twin (marked "vs f32").
 */
export function speedupTable(records: BenchRecord[]): string | undefined {
  const peers = runnersOf(records).filter((r) => r !== OURS);
  const rows = configsOf(records).flatMap((c) => {
    const ours = find(records, c, OURS)?.median_ms;
    if (ours === undefined) return [];
    const cells = peers.map((p) => {
      let m = find(records, c, p)?.median_ms;
      let twin = '';
      if (m === undefined && c.endsWith('-f16')) {
        const f32 = find(records, c.slice(0, -4), p);
        if (f32 && f32.seq === find(records, c, OURS)!.seq) { m = f32.median_ms; twin = ' vs f32'; }
      }
      if (m === undefined) return '';
      const r = m / ours;
      return r >= 1 ? `${formatRatio(r)}${twin}` : `**${formatRatio(1 / r)} slower**${twin}`;
    });
    return cells.some((x) => x) ? [[c, ...cells]] : [];
  });
  return rows.length && peers.length ? table(['config', ...peers.map((p) => `${p} ÷ ${OURS}`)], rows) : undefined;
}

/** Max abs error of every runner against the float64 CPU reference. */
export function errorTable(records: BenchRecord[]): string {
  const runners = runnersOf(records).filter((r) => !r.startsWith('cudnn'));
  return table(['config', 'tolerance', ...runners], configsOf(records).map((c) => [
    c, String(records.find((r) => r.config === c)!.tolerance),
    ...runners.map((r) => {
      const x = find(records, c, r);
      if (!x || x.max_err === undefined) return x?.skipped ? 'skipped' : '';
      const at = x.checked_seq !== undefined ? ` (at seq ${x.checked_seq})` : '';
      return x.ok === false ? `⚠ ${x.max_err.toExponential(1)} (disagrees)${at}` : `${x.max_err.toExponential(1)}${at}`;
    }),
  ]));
}

/** The webgpu-rnn sources and the machine's load while the records were taken. */
export function conditionLines(records: BenchRecord[]): string[] {
  const lines: string[] = [];
  const sources = [...new Set(records.filter((r) => r.runner === OURS && r.source).map((r) => r.source!))];
  if (sources.length) lines.push(`- webgpu-rnn sources: ${sources.join('; ')}`);
  const loads = records.map((r) => r.load).filter((l): l is number => l !== undefined);
  if (loads.length) {
    const cores = records.find((r) => r.cores)?.cores;
    const hi = Math.max(...loads);
    lines.push(`- 1-minute load average while timing: ${Math.min(...loads).toFixed(1)} to ${hi.toFixed(1)}${cores ? ` on ${cores} cores` : ''}` +
      (cores && hi > 1.5 * cores ? ' (other processes were competing for the cores: timings are noisy; compare runners within one run)' : ''));
  }
  const clocked = records.filter((r) => r.sm_mhz && r.median_ms !== undefined);
  if (clocked.length) {
    const peak = Math.max(...clocked.map((r) => r.sm_mhz![1]));
    const slow = clocked.filter((r) => r.sm_mhz![0] < 0.9 * peak);
    const range = (r: BenchRecord) => (r.sm_mhz![0] === r.sm_mhz![1] ? `${r.sm_mhz![0]}` : `${r.sm_mhz![0]}-${r.sm_mhz![1]}`);
    lines.push(`- GPU SM clock while timed (nvidia-smi samples; bench/gpu/clocks.mjs): up to ${peak} MHz; ` +
      (slow.length ? `below 90% of that for part or all of ${slow.map((r) => `${r.config} ${r.runner} (${range(r)} MHz)`).join(', ')}` : 'at least 90% of that throughout'));
  }
  return lines;
}

/** One line per runner: the device it ran on. */
export function deviceLines(records: BenchRecord[]): string[] {
  return runnersOf(records).flatMap((r) => {
    const devices = [...new Set(records.filter((x) => x.runner === r && x.device).map((x) => x.device!))];
    return devices.length ? [`- ${r}: ${devices.join('; ')}`] : [];
  });
}

/** Skipped and failed runs, grouped by runner and reason. */
export function noteLines(records: BenchRecord[]): string[] {
  const groups = new Map<string, string[]>();
  for (const r of records) {
    const what = r.skipped ? `skipped: ${r.skipped}` : r.error ? `failed: ${r.error}` : undefined;
    if (!what) continue;
    const key = `${r.runner} ${what}`;
    groups.set(key, [...(groups.get(key) ?? []), r.config]);
  }
  return [...groups].map(([key, cs]) => {
    const [runner, ...rest] = key.split(' ');
    return `- ${runner} on ${cs.join(', ')}: ${rest.join(' ')}`;
  });
}

/** Configs where a peer's median is below webgpu-rnn's. */
export function slowerLines(records: BenchRecord[]): string[] {
  const lines: string[] = [];
  for (const c of configsOf(records)) {
    const ours = find(records, c, OURS)?.median_ms;
    if (ours === undefined) continue;
    for (const p of runnersOf(records).filter((r) => r !== OURS)) {
      const m = find(records, c, p)?.median_ms;
      if (m !== undefined && m < ours) lines.push(`- ${c}: ${p} ${formatMs(m)} ms vs webgpu-rnn ${formatMs(ours)} ms (webgpu-rnn ${formatRatio(ours / m)} slower)`);
    }
  }
  return lines;
}

export interface TargetRow {
  config: string;
  target: string;
  measured: string;
  met: boolean | undefined;
}

/** The issue's targets that this mode's records can answer. */
export function targetRows(records: BenchRecord[], mode: string): TargetRow[] {
  const rows: TargetRow[] = [];
  const byName = new Map<string, BenchConfig>(allConfigs().map((c) => [c.name, c]));
  for (const c of configsOf(records)) {
    const t = byName.get(c)?.targets;
    const ours = find(records, c, OURS);
    if (!t || !ours) continue;
    const full = byName.get(c)!.spec.branches[0]!.seq === ours.seq;
    const fullNote = full ? '' : ` (seq ${ours.seq}, not the full length)`;
    const ratioTarget = mode === 'browser' ? t.browserVsTfjsWebgpu : mode === 'node' ? t.vsTfjsWebgpu : undefined;
    if (ratioTarget !== undefined) {
      const tf = find(records, c, 'tfjs-webgpu')?.median_ms;
      const r = tf !== undefined && ours.median_ms !== undefined ? tf / ours.median_ms : undefined;
      rows.push({ config: c, target: `≥ ${ratioTarget}× faster than tfjs-webgpu`, measured: r === undefined ? 'not measured' : formatRatio(r), met: r === undefined ? undefined : r >= ratioTarget });
    }
    if (mode === 'gpu' && t.gpuMs !== undefined) {
      const m = ours.median_ms;
      rows.push({ config: c, target: `whole pass ≤ ${t.gpuMs} ms`, measured: m === undefined ? 'not measured' : `${formatMs(m)} ms${fullNote}`, met: m === undefined || !full ? undefined : m <= t.gpuMs });
      const eager = find(records, c, 'cudnn-eager')?.median_ms;
      if (eager !== undefined) {
        rows.push({ config: c, target: 'faster than cuDNN eager', measured: m === undefined ? 'not measured' : `${formatMs(m)} vs ${formatMs(eager)} ms`, met: m === undefined ? undefined : m < eager });
      }
    }
    if (mode === 'gpu' && t.gpuUsPerLayerStep !== undefined) {
      const u = ours.us_per_layer_step;
      rows.push({ config: c, target: `≤ ${t.gpuUsPerLayerStep} µs per layer-step`, measured: u === undefined ? 'not measured' : `${formatNum(u)} µs${fullNote}`, met: u === undefined || !full ? undefined : u <= t.gpuUsPerLayerStep });
    }
  }
  return rows;
}

export function targetTable(rows: TargetRow[]): string {
  return table(['config', 'target (issue 4)', 'measured', 'met'], rows.map((r) => [r.config, r.target, r.measured, r.met === undefined ? '—' : r.met ? 'yes' : '**no**']));
}

/** Everything for one mode, for the terminal. */
export function terminalReport(records: BenchRecord[], mode: string): string {
  const parts = [`\n## ${mode}\n`, timeTable(records)];
  const s = speedupTable(records);
  if (s) parts.push('', s);
  parts.push('', errorTable(records));
  if (mode === 'gpu') parts.push('', layerStepTable(records));
  const t = targetRows(records, mode);
  if (t.length) parts.push('', targetTable(t));
  const slower = slowerLines(records);
  if (slower.length) parts.push('', 'webgpu-rnn slower than a peer:', ...slower);
  const notes = noteLines(records);
  if (notes.length) parts.push('', ...notes);
  parts.push('', ...deviceLines(records), ...conditionLines(records));
  return parts.join('\n');
}
