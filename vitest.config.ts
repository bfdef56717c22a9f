// Two projects: 'node' (every test file but the browser one; Dawn on the default adapter, lavapipe on a
// machine without a GPU) and 'browser' (one vitest file that drives headless Chromium). `npm test` runs
// both; `npm run test:node` / `npm run test:browser` run one.
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Software adapters (lavapipe, SwiftShader) use every core, so more than two test processes at once only
// adds contention (and timeouts) on small machines.
const workers = Number(process.env.VITEST_MAX_WORKERS) || Math.max(1, Math.min(2, availableParallelism()));

// Dawn needs a runtime directory; a CI container often has none.
process.env.XDG_RUNTIME_DIR ||= '/tmp';

export default defineConfig({
  test: {
    environment: 'node',
    pool: 'forks',
    maxWorkers: workers,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    teardownTimeout: 30_000,
    env: { XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR },
    projects: [
      {
        extends: true,
        test: { name: 'node', include: ['test/**/*.test.ts'], exclude: ['test/browser.test.ts', '**/node_modules/**'] },
      },
      {
        extends: true,
        test: { name: 'browser', include: ['test/browser.test.ts'] },
      },
    ],
  },
});
