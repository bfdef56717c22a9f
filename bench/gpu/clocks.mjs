// Annotates benchmark records with the GPU's SM clock while they were timed, from bench/gpu/run.sh's
// nvidia-smi samples (clocks.csv: timestamp, clocks.sm, ... ten times a second, in the machine's
// local time). Calls have differed by up to 3x on one build, and the SM clock has been seen at 345-690 MHz
// for whole configs between stretches at 1980: this puts the clock next to each median.
//
//   node bench/gpu/clocks.mjs CLOCKS.csv FILE.jsonl...
//
// Adds sm_mhz ([lowest, highest]) and sm_samples to each record with timed_from and timed_to (a window
// shorter than the sampling interval takes the sample in effect at its end), rewriting the files in
// place. Run it on the machine that wrote CLOCKS.csv, in the same time zone (TZ) as nvidia-smi ran: the
// samples carry none, and the records' times are UTC.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const [csv, ...rest] = process.argv.slice(2);
if (!csv || !rest.length) {
  console.error('usage: node bench/gpu/clocks.mjs CLOCKS.csv FILE.jsonl...');
  process.exit(2);
}

/** [epoch ms, SM MHz] of every sample line ("2026/11/27 18:00:22.768, 345 MHz, ..."). */
const samples = readFileSync(csv, 'utf8').split('\n').flatMap((line) => {
  const m = /^(\d{4})\/(\d\d)\/(\d\d) (\d\d:\d\d:\d\d\.\d+), (\d+) MHz/.exec(line);
  return m ? [[new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}`).getTime(), Number(m[5])]] : [];
});

/** The SM clock's range over [from, to] (ms), or the sample in effect at `to`; undefined before the first. */
function clockOver(from, to) {
  const inside = samples.filter(([t]) => t >= from && t <= to).map(([, mhz]) => mhz);
  if (!inside.length) {
    const before = samples.filter(([t]) => t <= to).at(-1);
    if (!before) return undefined;
    inside.push(before[1]);
  }
  return { sm_mhz: [Math.min(...inside), Math.max(...inside)], sm_samples: inside.length };
}

let placed = 0;
for (const file of rest.filter((f) => existsSync(f))) {
  const lines = readFileSync(file, 'utf8').split('\n').map((text) => {
    if (!text.trim().startsWith('{')) return text;
    const record = JSON.parse(text);
    const clock = record.timed_from && record.timed_to && clockOver(Date.parse(record.timed_from), Date.parse(record.timed_to));
    if (!clock) return text;
    placed++;
    return JSON.stringify({ ...record, ...clock });
  });
  writeFileSync(file, lines.join('\n'));
}
console.log(`clocks.mjs: ${samples.length} samples, ${placed} records annotated`);
