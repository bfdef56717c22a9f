/**
 * Every GPU test in a file runs inside validation / out-of-memory / internal error scopes on the
 * file's device; an error raised by anything the test did fails it.
 */
import { afterEach, beforeEach, expect } from 'vitest';

const SCOPES: GPUErrorFilter[] = ['validation', 'out-of-memory', 'internal'];

/** Registers the per-test scopes; `device()` is read at each test (the runtime is made in beforeAll). */
export function failOnGpuErrors(device: () => GPUDevice | undefined): void {
  beforeEach(() => {
    for (const f of SCOPES) device()?.pushErrorScope(f);
  });
  afterEach(async () => {
    const d = device();
    if (!d) return;
    const errors: string[] = [];
    for (let i = SCOPES.length - 1; i >= 0; i--) {
      const e = await d.popErrorScope();
      if (e) errors.push(`${SCOPES[i]}: ${e.message}`);
    }
    expect(errors, 'GPU errors raised during the test').toEqual([]);
  });
}
