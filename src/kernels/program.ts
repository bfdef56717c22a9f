import activationsWgsl from '../../shaders/activations.wgsl?raw';

/** How a kernel binds a resource; the pipeline cache turns this into an explicit bind group layout. */
export type BindingKind = 'read' | 'read_write' | 'uniform';

/**
 * A kernel program (onnxruntime-web's ProgramInfo): one WGSL kernel family specialised by override
 * constants. Sizes that change per call (batch, time step) live in uniforms, not in the cache key.
 */
export interface Program {
  /** Label of the pipeline and its GPU objects, e.g. 'lstm_step f32'. */
  name: string;
  cacheKey: string;
  code: string;
  constants: Record<string, number>;
  /** Its bindings in order: one 'uniform' (usually last), the dispatch's buffers at the others in turn. */
  bindings: readonly BindingKind[];
  /** Byte size of the uniform block bound (with a dynamic offset) at the 'uniform' binding. */
  uniformSize: number;
}

/** Prepends the shared activation functions to a kernel's WGSL. */
export function withActivations(kernel: string): string {
  return `${activationsWgsl}\n${kernel}`;
}

/** Every dynamic uniform offset must be a multiple of minUniformBufferOffsetAlignment (256 by default). */
export const UNIFORM_ALIGN = 256;

/**
 * Collects the uniform blocks of a whole plan into one buffer: each dispatch binds its block with a
 * dynamic offset, so a forward pass needs no uniform writes at all.
 */
export class UniformArena {
  private chunks: ArrayBuffer[] = [];
  private length = 0;

  /** Appends a block and returns its byte offset. `fill` writes it through a DataView. */
  add(size: number, fill: (view: DataView) => void): number {
    const block = new ArrayBuffer(Math.ceil(size / UNIFORM_ALIGN) * UNIFORM_ALIGN);
    fill(new DataView(block));
    const offset = this.length;
    this.chunks.push(block);
    this.length += block.byteLength;
    return offset;
  }

  get byteLength(): number {
    return this.length;
  }

  /** All blocks, concatenated. */
  bytes(): Uint8Array {
    const out = new Uint8Array(Math.max(UNIFORM_ALIGN, this.byteLength));
    let off = 0;
    for (const c of this.chunks) {
      out.set(new Uint8Array(c), off);
      off += c.byteLength;
    }
    return out;
  }
}

/** Writes u32 / f32 fields in declaration order (all fields of our uniform structs are 4 bytes). */
export class FieldWriter {
  private at = 0;
  constructor(private readonly view: DataView, base = 0) {
    this.at = base;
  }
  u32(...values: number[]): this {
    for (const v of values) {
      this.view.setUint32(this.at, v >>> 0, true);
      this.at += 4;
    }
    return this;
  }
  f32(...values: number[]): this {
    for (const v of values) {
      this.view.setFloat32(this.at, v, true);
      this.at += 4;
    }
    return this;
  }
}
