// Library build: two ESM entries, dist/index.js (Node / default, may load Dawn lazily) and dist/browser.js
// (navigator.gpu only). Shaders are imported as `shaders/*.wgsl?raw` and inlined as strings.
// Declarations come from `tsc -p tsconfig.build.json` (see package.json "build").
import { builtinModules } from 'node:module';
import { defineConfig } from 'vite';

const nodeBuiltins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

export default defineConfig({
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    minify: false,
    lib: {
      entry: { index: 'src/index.ts', browser: 'src/browser.ts' },
      formats: ['es'],
      fileName: (_format, entryName) => `${entryName}.js`,
    },
    rolldownOptions: {
      // Dawn is an optional peer dependency, imported dynamically by the Node entry only.
      external: (id) => id === 'webgpu' || id.startsWith('webgpu/') || id.startsWith('node:') || nodeBuiltins.has(id),
    },
  },
});
