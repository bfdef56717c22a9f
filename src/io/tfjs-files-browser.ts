/** Browser stand-in for the Node-only file loader: same name and type, so both builds export the same API. */
import { UnsupportedError } from '../errors.js';
import type { Model } from '../graph/model.js';

/** Not available in browsers: use `loadLayersModelFromUrl`, or `loadLayersModel` with fetched bytes. */
export async function loadLayersModelFromFiles(path: string): Promise<Model> {
  throw new UnsupportedError(`loadLayersModelFromFiles('${path}') reads the file system and works in Node only; in a browser use loadLayersModelFromUrl`);
}
