#!/usr/bin/env node
// `npm run bench:stream [-- flags]`: bundles bench/stream-cli.ts (the library and its WGSL inlined, every
// package external: the peers come from bench/node_modules, installed by `npm run bench` once) into
// bench/dist/stream/stream-cli.js with Vite, then runs it from the repository root. --no-build reuses
// the bundle; other flags go to the program (see the top of bench/stream-cli.ts).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, '..');
const argv = process.argv.slice(2);
process.env.XDG_RUNTIME_DIR ||= '/tmp';

const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
const external = (id) => builtins.has(id) || id.startsWith('node:') || (/^(@[\w.-]+\/)?\w[\w.-]*(\/.*)?$/.test(id) && !id.includes('?'));

async function main() {
  if (!existsSync(join(BENCH, 'node_modules', '@tensorflow', 'tfjs'))) {
    console.error('bench:stream: the peers are not installed yet; run `npm run bench -- --build-only` once (it installs them into bench/node_modules)');
  }
  if (!argv.includes('--no-build')) {
    const { build } = await import('vite');
    const common = { configFile: false, root: ROOT, logLevel: 'warn', publicDir: false };
    await build({
      ...common,
      build: {
        ssr: join(BENCH, 'stream-cli.ts'), outDir: join(BENCH, 'dist/stream'), emptyOutDir: true, target: 'node20', minify: false,
        rolldownOptions: { external, output: { entryFileNames: 'stream-cli.js' } },
      },
    });
    // The GPU machine's build (bench/dist/stream-gpu/stream-cli.js): tfjs bundled in, only `webgpu`
    // (the GPU kit provides it) and Node builtins outside. Run there: bash .gpu-kit/run.sh node <it>.
    const gpuExternal = ['webgpu', '@tensorflow/tfjs-backend-wasm'];
    await build({
      ...common,
      ssr: { noExternal: true, external: gpuExternal },
      build: {
        ssr: join(BENCH, 'stream-cli.ts'), outDir: join(BENCH, 'dist/stream-gpu'), emptyOutDir: true, target: 'node20', minify: false,
        rolldownOptions: { external: (id) => builtins.has(id) || id.startsWith('node:') || gpuExternal.includes(id), output: { entryFileNames: 'stream-cli.js', codeSplitting: false } },
      },
    });
    if (argv.includes('--build-only')) return 0;
  }
  const r = spawnSync(process.execPath, [join(BENCH, 'dist/stream/stream-cli.js'), ...argv.filter((a) => a !== '--no-build' && a !== '--build-only')], { cwd: ROOT, stdio: 'inherit' });
  return r.status ?? 1;
}

main().then((code) => process.exit(code), (e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(2);
});
