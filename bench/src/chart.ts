/**
 * A hand-written SVG bar chart of median ms per forward pass: one group per config, one bar per runner,
 * logarithmic axis (the runners span four orders of magnitude). No plotting dependency.
 */
import { allConfigs } from './configs.js';
import type { BenchRecord } from './measure.js';
import { configsOf, formatMs, runnersOf } from './report.js';

const COLORS: Record<string, string> = {
  'webgpu-rnn': '#d62728',
  'tfjs-webgpu': '#1f77b4',
  'tfjs-wasm': '#17becf',
  'tfjs-cpu': '#7f7f7f',
  'ort-cpu': '#2ca02c',
  'cudnn-eager': '#9467bd',
  'cudnn-graph': '#8c564b',
};
const EXTRA = ['#ff7f0e', '#e377c2', '#bcbd22', '#393b79'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function barChart(records: BenchRecord[], title: string, subtitle: string): string {
  const timed = records.filter((r) => r.median_ms !== undefined && r.median_ms > 0);
  const runners = runnersOf(timed);
  const configs = configsOf(timed);
  const color = (r: string) => COLORS[r] ?? EXTRA[runners.indexOf(r) % EXTRA.length]!;
  const W = 920, left = 70, right = 90, top = 64, bar = 13, gap = 2, groupGap = 14;
  const plotW = W - left - right;
  const values = timed.map((r) => r.median_ms!);
  const lo = Math.floor(Math.log10(Math.min(...values, 1)));
  const hi = Math.ceil(Math.log10(Math.max(...values, 10)));
  const x = (ms: number) => left + ((Math.log10(ms) - lo) / (hi - lo)) * plotW;
  const groups = configs.map((c) => runners.filter((r) => timed.some((t) => t.config === c && t.runner === r)));
  const plotH = groups.reduce((s, g) => s + g.length * (bar + gap) + groupGap, 0);
  const H = top + plotH + 40;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${left}" y="18" font-size="14" font-weight="bold">${esc(title)}</text>`);
  out.push(`<text x="${left}" y="34" fill="#444">${esc(subtitle)}</text>`);
  // legend
  let lx = left;
  for (const r of runners) {
    out.push(`<rect x="${lx}" y="44" width="10" height="10" fill="${color(r)}"/><text x="${lx + 14}" y="53">${esc(r)}</text>`);
    lx += 24 + r.length * 6.5;
  }
  // decade grid
  for (let e = lo; e <= hi; e++) {
    const gx = x(10 ** e);
    const label = e >= 3 ? `${10 ** (e - 3)} s` : e >= 0 ? `${10 ** e} ms` : `${(10 ** e).toFixed(-e)} ms`;
    out.push(`<line x1="${gx.toFixed(1)}" y1="${top - 4}" x2="${gx.toFixed(1)}" y2="${top + plotH}" stroke="#ddd"/>`);
    out.push(`<text x="${gx.toFixed(1)}" y="${top + plotH + 16}" text-anchor="middle" fill="#444">${label}</text>`);
  }
  let y = top;
  configs.forEach((c, ci) => {
    const g = groups[ci]!;
    const mid = y + (g.length * (bar + gap)) / 2;
    out.push(`<text x="${left - 8}" y="${(mid + 4).toFixed(1)}" text-anchor="end" font-weight="bold">${esc(c)}</text>`);
    const seq = timed.find((t) => t.config === c)!.seq;
    const full = allConfigs().find((x) => x.name === c)?.spec.branches[0]?.seq;
    if (full !== undefined && full !== seq) out.push(`<text x="${left - 8}" y="${(mid + 15).toFixed(1)}" text-anchor="end" font-size="9" fill="#666">seq ${seq}</text>`);
    for (const r of g) {
      const rec = timed.find((t) => t.config === c && t.runner === r)!;
      const w = Math.max(1, x(rec.median_ms!) - left);
      const warn = rec.ok === false ? ' ⚠' : '';
      out.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${bar}" fill="${color(r)}"><title>${esc(`${c} ${r}: ${formatMs(rec.median_ms)} ms median`)}</title></rect>`);
      out.push(`<text x="${(left + w + 4).toFixed(1)}" y="${y + bar - 3}" fill="#222">${formatMs(rec.median_ms)}${warn}</text>`);
      y += bar + gap;
    }
    y += groupGap;
  });
  out.push(`<text x="${left}" y="${H - 6}" fill="#666">median ms per whole forward pass (upload, run, read back), log scale; shorter is faster</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
