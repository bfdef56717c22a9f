/**
 * webgpu-rnn, Node / default entry. In Node, WebGPU comes from Dawn (the optional `webgpu` package),
 * loaded only when a WebGPU runtime is created and no `navigator.gpu` exists.
 */
import { setGpuProvider } from './gpu/device.js';
import { nodeGpu } from './gpu/node-gpu.js';

setGpuProvider(nodeGpu);

export * from './api.js';
export { loadLayersModelFromFiles } from './io/tfjs-files.js';
