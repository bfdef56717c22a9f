/** webgpu-rnn, browser entry: WebGPU from `navigator.gpu`; imports no Node module. */
export * from './api.js';
export { loadLayersModelFromFiles } from './io/tfjs-files-browser.js';
