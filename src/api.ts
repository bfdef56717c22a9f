// The public surface shared by the Node and browser entry points.
export { createRuntime, type CompileOptions, type CompiledModel, type PredictOptions, type Runtime, type RuntimeOptions } from './runtime.js';
export { type StreamOptions, type StreamSession } from './session.js';
export {
  Bidirectional, Concatenate, Dense, Dropout, Layer, Masking, Model, RecurrentLayer, SymbolicTensor, input, layers, model, sequential,
  type ActSpec, type Activation, type ApplyOptions, type CellType, type InputOptions, type MaskingOptions, type MergeMode, type ModelOptions,
  type GpuTensor, type Input, type RecurrentConfig, type RecurrentOptions, type Shape, type Tensor, type WeightSpec,
} from './graph/index.js';
export { runReference, type F64Tensor, type ReferenceOptions } from './cpu/reference.js';
export {
  ConfigError, DeviceLostError, DisposedError, FormatError, InputError, RnnError, ShapeError, UnsupportedError, WeightError,
} from './errors.js';
export { runOnnxRecurrent, type OnnxAttributeValue, type OnnxRecurrentNode, type OnnxRecurrentOp, type OnnxTensor } from './io/onnx.js';
export { loadLayersModel, loadLayersModelFromUrl, type LayersModelSource } from './io/tfjs.js';
export { parseSafetensors, writeSafetensors, type SafetensorsDtype, type SafetensorsEntry, type SafetensorsFile, type SafetensorsTensor } from './io/safetensors.js';
export {
  loadPyTorchRecurrent, type PyTorchModule, type PyTorchOutputs, type PyTorchRecurrent, type PyTorchRecurrentConfig,
  type PyTorchRecurrentOptions, type PyTorchRunOptions,
} from './io/pytorch.js';
