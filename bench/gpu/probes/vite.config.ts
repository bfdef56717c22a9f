// Builds bench/gpu/probes/no-upload.ts (which imports the library's sources) into one file for the GPU
// machine: npx vite build --config bench/gpu/probes/vite.config.ts -> bench/gpu/probes/dist/no-upload.js
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    lib: { entry: fileURLToPath(new URL('./no-upload.ts', import.meta.url)), formats: ['es'], fileName: 'no-upload' },
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    rollupOptions: { external: ['webgpu', /^node:/] },
    minify: false,
    target: 'node20',
  },
});
