/**
 * Puts docs/benchmarks-adapter-bound.md (written by `node bench/adapter-bound.mjs --write-docs`: probe
 * rates of this machine's adapter and the floor they put under configs a-d) into docs/BENCHMARKS.md as
 * one section, headings moved a level down.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerDocsSection } from './docs.js';

registerDocsSection((root) => {
  const file = join(root, 'docs', 'benchmarks-adapter-bound.md');
  if (!existsSync(file)) return '## What bounds webgpu-rnn on this machine\'s adapter\n\nNo results yet: run `node bench/adapter-bound.mjs --write-docs`.';
  const text = readFileSync(file, 'utf8').replace(/^(#+) /gm, '#$1 ');
  return `${text.trim()}\n\n(From [benchmarks-adapter-bound.md](benchmarks-adapter-bound.md); regenerate with \`node bench/adapter-bound.mjs --write-docs\`.)`;
});
