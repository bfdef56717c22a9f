// Builds the probes that import the library's sources (no-upload.ts, matmul.ts) into single files for the
// GPU machine: npx vite build --config bench/gpu/probes/vite.config.ts -> bench/gpu/probes/dist/*.js
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    lib: {
      entry: { 'no-upload': fileURLToPath(new URL('./no-upload.ts', import.meta.url)), matmul: fileURLToPath(new URL('./matmul.ts', import.meta.url)) },
      formats: ['es'],
    },
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    rollupOptions: { external: ['webgpu', /^node:/] },
    minify: false,
    target: 'node20',
  },
});
