/**
 * Typed errors. Every message says what was expected, what was given, and where
 * (layer name, input index), so a caller can act on it without reading our code.
 */
export class RnnError extends Error {
  /** Stable machine-readable code, e.g. 'SHAPE'. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A tensor or symbolic input has the wrong rank, count or size. */
export class ShapeError extends RnnError {
  constructor(message: string) { super('SHAPE', message); }
}

/** Weights have the wrong count, size, or contain non-finite values. */
export class WeightError extends RnnError {
  constructor(message: string) { super('WEIGHT', message); }
}

/** An option or combination the runtime does not support (yet). */
export class UnsupportedError extends RnnError {
  constructor(message: string) { super('UNSUPPORTED', message); }
}

/** A layer or model configuration that is invalid or contradicts itself. */
export class ConfigError extends RnnError {
  constructor(message: string) { super('CONFIG', message); }
}

/** Input data that cannot be run: NaN / Infinity, or data that does not match its shape. */
export class InputError extends RnnError {
  constructor(message: string) { super('INPUT', message); }
}

/** A compiled model (or runtime) was used after dispose(). */
export class DisposedError extends RnnError {
  constructor(message: string) { super('DISPOSED', message); }
}

/** The GPU device was lost; pending and later calls fail with this error. */
export class DeviceLostError extends RnnError {
  readonly reason: string;
  constructor(message: string, reason = 'unknown') {
    super('DEVICE_LOST', message);
    this.reason = reason;
  }
}

/** A model or weight file that cannot be parsed (interop importers). */
export class FormatError extends RnnError {
  constructor(message: string) { super('FORMAT', message); }
}
