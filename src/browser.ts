/** webgpu-rnn, browser entry: WebGPU from `navigator.gpu`; imports no Node module. */
export * from './api.js';
