/**
 * Node only: loads a TensorFlow.js LayersModel from disk. `fs` is imported dynamically, and only the
 * Node entry exports this, so the browser build never references a Node module.
 */
import { FormatError } from '../errors.js';
import type { Model } from '../graph/model.js';
import { loadLayersModel } from './tfjs.js';
import { parseModelJson } from './tfjs-topology.js';
import { readManifest } from './tfjs-weights.js';

/**
 * Reads `model.json` (a path to it, or to the folder holding it) and the shard files its manifest
 * names, relative to it, then loads the model as `loadLayersModel` does.
 * @example
 * const net = await loadLayersModelFromFiles('./my-model');   // ./my-model/model.json + group1-shard1of1.bin
 */
export async function loadLayersModelFromFiles(path: string): Promise<Model> {
  const fs = await import('node:fs/promises');
  const { dirname, join } = await import('node:path');
  let file = path;
  const stat = await fs.stat(file).catch(() => null);
  if (!stat) throw new FormatError(`loadLayersModelFromFiles: '${path}' does not exist`);
  if (stat.isDirectory()) file = join(path, 'model.json');
  const text = await fs.readFile(file, 'utf8').catch((e: Error) => {
    throw new FormatError(`loadLayersModelFromFiles: cannot read '${file}': ${e.message}`);
  });
  const modelJson = parseModelJson(text);
  const { paths } = readManifest(modelJson);
  const weights = await Promise.all(paths.map((p) => fs.readFile(join(dirname(file), p)).catch((e: Error) => {
    throw new FormatError(`loadLayersModelFromFiles: weight shard '${p}' named by ${file} cannot be read: ${e.message}`);
  })));
  return loadLayersModel({ modelJson, weights });
}
