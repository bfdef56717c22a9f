/**
 * Puts the streaming figures (docs/benchmarks-streaming.md, written by `npm run bench:stream`, see
 * bench/stream-cli.ts) into docs/BENCHMARKS.md as one section, headings moved a level down.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerDocsSection } from './docs.js';

registerDocsSection((root) => {
  const file = join(root, 'docs', 'benchmarks-streaming.md');
  if (!existsSync(file)) return '## Streaming and long sequences\n\nNo results yet: run `npm run bench:stream`.';
  const text = readFileSync(file, 'utf8').replace(/^(#+) /gm, '#$1 ');
  return `${text.trim()}\n\n(From [benchmarks-streaming.md](benchmarks-streaming.md); regenerate with \`npm run bench:stream\`.)`;
});
