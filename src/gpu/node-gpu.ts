/**
 * Dawn's WebGPU for Node, imported lazily so that neither the browser build nor a CPU-only user
 * loads it. `webgpu` is an optional peer dependency.
 */
export async function nodeGpu(options: { featureLevel?: 'core' | 'compatibility' }): Promise<GPU | undefined> {
  if (typeof process === 'undefined' || !process.versions?.node) return undefined;
  let mod: { create(flags: string[]): GPU };
  try {
    mod = (await import('webgpu')) as unknown as { create(flags: string[]): GPU };
  } catch {
    console.warn("webgpu-rnn: the 'webgpu' package (Dawn) is not installed: npm install webgpu");
    return undefined;
  }
  void options;
  return mod.create([]);
}
