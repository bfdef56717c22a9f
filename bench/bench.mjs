#!/usr/bin/env node
// `npm run bench [-- flags]`: installs the peers into bench/node_modules on first use (they stay out of
// the library's dependencies), bundles the harness with Vite (bench/src -> bench/dist), then runs it.
//   bench/dist/node/cli.js   Node mode: peers loaded from bench/node_modules
//   bench/dist/page/page.js  browser mode's page (webgpu-rnn + tfjs webgpu bundled)
//   bench/dist/cli.js        the GPU-machine CLI: tfjs bundled in, imports only `webgpu` (and Node builtins)
// Flags of its own: --no-build (reuse bench/dist), --build-only (build, run nothing), --src head (bundle
// the committed src/ and shaders/ of HEAD instead of the working tree, e.g. while someone is editing
// them). Every other flag goes to the harness (see --help).
import { execFileSync, spawnSync as spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, '..');
const argv = process.argv.slice(2);
const noBuild = argv.includes('--no-build');
const buildOnly = argv.includes('--build-only');
const srcAt = argv.indexOf('--src');
const srcMode = srcAt >= 0 ? argv[srcAt + 1] : 'worktree';
if (srcMode !== 'head' && srcMode !== 'worktree') throw new Error(`--src takes head or worktree, not ${srcMode}`);
// Without --src (srcAt -1) no argument is its value: argument 0 must stay.
const harnessArgs = argv.filter((a, i) => a !== '--no-build' && a !== '--build-only' && (srcAt < 0 || (i !== srcAt && i !== srcAt + 1)));
process.env.XDG_RUNTIME_DIR ||= '/tmp';

const git = (...a) => execFileSync('git', a, { cwd: ROOT, encoding: 'utf8' }).trim();
/** HEAD when this run started: --src head bundles exactly this commit, and the records name it. */
let headSha = 'HEAD';
try {
  headSha = git('rev-parse', '--short', 'HEAD');
} catch {
  // not a git checkout: the working tree is all there is
}

/** Which library sources the bundle holds, for the records. */
function describeSource() {
  try {
    const sha = headSha;
    if (srcMode === 'head') return `HEAD ${sha}`;
    const changed = git('status', '--porcelain', '--', 'src', 'shaders').split('\n').filter(Boolean).length;
    return changed ? `working tree on ${sha}, ${changed} file(s) in src/ or shaders/ changed` : `HEAD ${sha} (clean working tree)`;
  } catch {
    return srcMode === 'head' ? 'HEAD' : 'working tree';
  }
}

/** `--src head`: HEAD's src/ and shaders/ extracted under bench/results/tmp/, the bundle's library redirected there. */
function snapshotPlugin() {
  if (srcMode !== 'head') return [];
  const snap = join(BENCH, 'results', 'tmp', 'src-head');
  rmSync(snap, { recursive: true, force: true });
  mkdirSync(snap, { recursive: true });
  const tar = spawn('sh', ['-c', `git archive ${headSha} src shaders | tar -x -C "${snap}"`], { cwd: ROOT, stdio: 'inherit' });
  if (tar.status !== 0) throw new Error(`bench: git archive ${headSha} src shaders failed`);
  return [{
    name: 'bench-src-head',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      const r = await this.resolve(source, importer, { ...options, skipSelf: true });
      if (!r || r.external) return r;
      const [file, query] = r.id.split('?');
      for (const dir of ['src', 'shaders']) {
        const from = join(ROOT, dir) + sep;
        if (file.startsWith(from)) return { ...r, id: join(snap, dir, file.slice(from.length)) + (query ? `?${query}` : '') };
      }
      return r;
    },
  }];
}

function ensurePeers() {
  if (existsSync(join(BENCH, 'node_modules', '@tensorflow', 'tfjs-layers')) && existsSync(join(BENCH, 'node_modules', 'onnxruntime-node'))) return;
  console.error('bench: installing the peers into bench/node_modules (once)...');
  // onnxruntime-node's install script would download CUDA binaries; its CPU binary ships in the package.
  const r = spawn('npm', ['install', '--no-audit', '--no-fund'], {
    cwd: BENCH, stdio: 'inherit', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_onnxruntime_node_install: 'skip' },
  });
  if (r.status !== 0) throw new Error('bench: npm install in bench/ failed');
}

const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
const isBuiltin = (id) => builtins.has(id) || id.startsWith('node:');

async function build() {
  const { build: viteBuild } = await import('vite');
  const plugins = snapshotPlugin();
  // The bundled sources are recorded with every result, also where no git is (the GPU machine).
  const define = { __BENCH_BUILD_SOURCE__: JSON.stringify(`${describeSource()} (built ${new Date().toISOString().slice(0, 16)}Z)`) };
  const common = { configFile: false, root: ROOT, logLevel: 'warn', publicDir: false, plugins, define };
  const t0 = Date.now();
  // Node mode: the library (src/) is bundled, every package stays external (bench/node_modules).
  const bare = (id) => /^(@[\w.-]+\/)?\w[\w.-]*(\/.*)?$/.test(id) && !id.includes('?');
  await viteBuild({
    ...common,
    build: {
      ssr: join(BENCH, 'src/cli.ts'), outDir: join(BENCH, 'dist/node'), emptyOutDir: true, target: 'node20', minify: false, sourcemap: true,
      rolldownOptions: { external: (id) => isBuiltin(id) || bare(id), output: { entryFileNames: 'cli.js', chunkFileNames: '[name]-[hash].js' } },
    },
  });
  // GPU machine: everything bundled but `webgpu` (the kit provides it) and the peers that can not go there.
  const gpuExternal = (id) => isBuiltin(id) || ['webgpu', 'onnxruntime-node', '@tensorflow/tfjs-backend-wasm', 'puppeteer-core'].includes(id);
  rmSync(join(BENCH, 'dist/cli.js'), { force: true });
  rmSync(join(BENCH, 'dist/chunks'), { recursive: true, force: true });
  await viteBuild({
    ...common,
    ssr: { noExternal: true, external: ['webgpu', 'onnxruntime-node', '@tensorflow/tfjs-backend-wasm', 'puppeteer-core'] },
    build: {
      ssr: join(BENCH, 'src/cli.ts'), outDir: join(BENCH, 'dist'), emptyOutDir: false, target: 'node20', minify: false, sourcemap: false,
      rolldownOptions: { external: gpuExternal, output: { entryFileNames: 'cli.js', chunkFileNames: 'chunks/[name]-[hash].js' } },
    },
  });
  // The GPU-machine probes that import the library's sources (bench/gpu/probes/*.ts), bundled the same way.
  await viteBuild({
    ...common,
    ssr: { noExternal: true, external: ['webgpu'] },
    build: {
      ssr: true, outDir: join(BENCH, 'dist/probes'), emptyOutDir: true, target: 'node20', minify: false, sourcemap: false,
      rolldownOptions: {
        input: { 'no-upload': join(BENCH, 'gpu/probes/no-upload.ts'), matmul: join(BENCH, 'gpu/probes/matmul.ts'), steps: join(BENCH, 'gpu/probes/steps.ts'), floor: join(BENCH, 'gpu/probes/floor.ts') },
        external: (id) => isBuiltin(id) || id === 'webgpu', output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
      },
    },
  });
  // Browser mode's page: the library's browser entry and tfjs (core, layers, webgpu backend).
  await viteBuild({
    ...common,
    build: {
      outDir: join(BENCH, 'dist/page'), emptyOutDir: true, target: 'es2022', minify: false, sourcemap: false,
      lib: { entry: join(BENCH, 'src/browser/page.ts'), formats: ['es'], fileName: () => 'page.js' },
    },
  });
  console.error(`bench: built bench/dist in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

async function main() {
  ensurePeers();
  if (!noBuild) await build();
  if (buildOnly) return 0;
  const event = process.env.npm_lifecycle_event;
  const command = event && event.startsWith('bench') ? `npm run ${event}` : 'node bench/bench.mjs';
  const r = spawn(process.execPath, [join(BENCH, 'dist/node/cli.js'), ...harnessArgs], {
    cwd: ROOT, stdio: 'inherit', env: { ...process.env, BENCH_COMMAND: srcMode === 'head' ? `${command} -- --src head` : command, BENCH_SOURCE: describeSource() },
  });
  return r.status ?? 1;
}

main().then((code) => process.exit(code), (e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(2);
});
