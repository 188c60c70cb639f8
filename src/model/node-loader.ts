/**
 * The model in Node: the package's `.wasm`, compiled and instantiated synchronously on first
 * use (a sync compile is fine in Node for any size; the CLI has no event loop turn to spare).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { PidnsTreeError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { Model, modelExports, wasmApi } from './core.js';

/** Where `npm run build` puts the module, inside the package (package.json `files`). */
export const wasmFile = path.join(packageRoot, 'dist', 'wasm', 'pidns_tree.wasm');

let model: Model | undefined;

export function modelSync(): Model {
  if (model !== undefined) return model;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(wasmFile);
  } catch {
    throw new PidnsTreeError(
      'NATIVE_MISSING',
      `pidns-tree's model is missing (no ${wasmFile}): reinstall pidns-tree, or run \`npm run build\` in a checkout`,
    );
  }
  const api = wasmApi();
  const instance = new api.Instance(new api.Module(bytes), {});
  return (model = new Model(modelExports(instance.exports)));
}
