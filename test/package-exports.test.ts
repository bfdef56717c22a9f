/**
 * The published shape of the package: `npm run build` produces dist/ (ESM + .d.ts) matching
 * package.json "exports"; the browser build imports no Node module and no `webgpu`; the Node build
 * loads `webgpu` only lazily; and a script inside the checkout can import 'webgpu-rnn' by name
 * (Node's package self-reference), in JavaScript and in TypeScript.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const NODE_BUILTINS = new Set(builtinModules);

function run(cmd: string, args: string[], cwd = ROOT) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: process.env, timeout: 180_000 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

interface ModuleImport { specifier: string; dynamic: boolean; from: string }

/** Every import of a built ESM file and of the chunks it imports, transitively (regex over unminified output). */
function importsOf(entry: string): ModuleImport[] {
  const seen = new Set<string>();
  const found: ModuleImport[] = [];
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    const patterns: [RegExp, boolean][] = [
      [/\b(?:import|export)\s[^'";]*?\bfrom\s*["']([^"']+)["']/g, false],
      [/\bimport\s*["']([^"']+)["']/g, false],
      [/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g, true],
      [/\brequire\s*\(\s*["']([^"']+)["']\s*\)/g, false],
    ];
    for (const [re, dynamic] of patterns) {
      for (const m of text.matchAll(re)) {
        const specifier = m[1]!;
        found.push({ specifier, dynamic, from: file.slice(DIST.length + 1) });
        if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
      }
    }
  };
  visit(entry);
  return found;
}

const isNodeOnly = (s: string) => s === 'webgpu' || s.startsWith('webgpu/') || s.startsWith('node:') || NODE_BUILTINS.has(s.split('/')[0]!);

beforeAll(() => {
  // Always rebuild, so the checks are on the current sources, not on a stale dist/.
  const r = run('npm', ['run', 'build']);
  expect(r.status, `npm run build failed:\n${r.out}`).toBe(0);
}, 240_000);

describe('npm run build', () => {
  it('writes every file package.json "exports" and "types" name', () => {
    const targets = new Set<string>([pkg.main, pkg.types]);
    for (const [cond, path] of Object.entries(pkg.exports['.'] as Record<string, string>)) {
      expect(cond).toMatch(/^(types|browser|default|import|node)$/);
      targets.add(path);
    }
    targets.add('./dist/browser.d.ts');
    for (const t of targets) expect(existsSync(join(ROOT, t)), `${t} missing after the build`).toBe(true);
  });

  it('the browser build imports no Node module and no webgpu', () => {
    const imports = importsOf(join(DIST, 'browser.js'));
    const bad = imports.filter((i) => isNodeOnly(i.specifier));
    expect(bad, JSON.stringify(bad)).toEqual([]);
    const bare = imports.filter((i) => !i.specifier.startsWith('.'));
    expect(bare, `the browser build should be self-contained: ${JSON.stringify(bare)}`).toEqual([]);
    for (const file of new Set(imports.map((i) => i.from))) {
      expect(readFileSync(join(DIST, file), 'utf8')).not.toMatch(/\bprocess\.versions\b|\brequire\(/);
    }
  });

  it('the Node build loads webgpu only lazily (dynamic import), so CPU users never load Dawn', () => {
    const imports = importsOf(join(DIST, 'index.js'));
    const webgpu = imports.filter((i) => i.specifier === 'webgpu');
    expect(webgpu.length, 'dist/index.js should import webgpu (dynamically)').toBeGreaterThan(0);
    expect(webgpu.filter((i) => !i.dynamic), 'static import of webgpu').toEqual([]);
    const staticNode = imports.filter((i) => !i.dynamic && isNodeOnly(i.specifier));
    expect(staticNode, 'static Node imports break bundlers that pick the default export').toEqual([]);
  });
});

describe("import from 'webgpu-rnn' inside the checkout", () => {
  it('resolves to dist/ in Node, and to dist/browser.js under the browser condition', () => {
    const script = "console.log(import.meta.resolve('webgpu-rnn'))";
    const node = run(process.execPath, ['--input-type=module', '-e', script]);
    expect(node.out.trim()).toMatch(/\/dist\/index\.js$/);
    const browser = run(process.execPath, ['--conditions=browser', '--input-type=module', '-e', script]);
    expect(browser.out.trim()).toMatch(/\/dist\/browser\.js$/);
  });

  it('runs a model through the public API (JavaScript, CPU backend)', () => {
    const dir = mkdtempSync(join(ROOT, '.selfref-'));
    try {
      writeFileSync(join(dir, 'main.mjs'), `
        import { createRuntime, sequential, layers } from 'webgpu-rnn';
        const net = sequential([layers.lstm({ units: 3, inputShape: [4, 2] }), layers.dense({ units: 1 })]);
        const rt = await createRuntime({ backend: 'cpu' });
        const run = await rt.compile(net);
        const y = await run.predict({ data: new Float32Array(8).fill(0.25), shape: [1, 4, 2] });
        run.dispose(); rt.dispose();
        console.log(JSON.stringify({ backend: rt.backend, shape: y.shape, finite: [...y.data].every(Number.isFinite) }));
      `);
      const r = run(process.execPath, [join(dir, 'main.mjs')]);
      expect(r.status, r.out).toBe(0);
      expect(JSON.parse(r.out.trim().split('\n').pop()!)).toEqual({ backend: 'cpu', shape: [1, 1], finite: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** Type-checks one TypeScript module importing 'webgpu-rnn' against dist/*.d.ts; returns tsc's output or null. */
  function typecheck(source: string): string | null {
    const dir = mkdtempSync(join(ROOT, '.selfref-'));
    try {
      writeFileSync(join(dir, 'main.mts'), source);
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
        compilerOptions: {
          noEmit: true, strict: true, skipLibCheck: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext',
          lib: ['es2022', 'dom'], types: ['@webgpu/types'],
        },
        files: ['main.mts'],
      }));
      const r = run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir]);
      return r.status === 0 ? null : r.out;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('type-checks a TypeScript consumer against dist/*.d.ts (moduleResolution nodenext)', () => {
    expect(typecheck(`
      import { createRuntime, sequential, layers, ShapeError, type CompiledModel, type Runtime, type Tensor } from 'webgpu-rnn';
      const net = sequential([layers.gru({ units: 4, inputShape: [3, 2], resetAfter: false }), layers.dense({ units: 1 })]);
      const rt: Runtime = await createRuntime({ backend: 'cpu' });
      const run: CompiledModel = await rt.compile(net);
      const x: Tensor = { data: new Float32Array(6), shape: [1, 3, 2] };
      const y: Tensor | Tensor[] = await run.predict(x);
      const w: Float32Array[] = net.getWeights();
      export const checks = [y, w, ShapeError];
    `)).toBeNull();
  });

  it("type-checks issue 2's connected-model example as written", () => {
    expect(typecheck(`
      import { model, input, layers } from 'webgpu-rnn';
      const a = input({ shape: [10, 1] }), b = input({ shape: [10, 1] });
      const joined = layers.concatenate().apply([layers.lstm({ units: 50 }).apply(a), layers.lstm({ units: 50 }).apply(b)]);
      const net2 = model({ inputs: [a, b], outputs: layers.dense({ units: 1 }).apply(joined) });
      net2.setWeights(net2.getWeights());
    `)).toBeNull();
  });
});
