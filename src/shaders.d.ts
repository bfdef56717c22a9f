// WGSL sources are imported as text (Vite's `?raw`), e.g. `import src from '../../shaders/lstm.wgsl?raw'`.
declare module '*.wgsl?raw' {
  const src: string;
  export default src;
}
