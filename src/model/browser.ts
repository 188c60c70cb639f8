/**
 * Loading the model in a browser (or any engine with fetch): `instantiateStreaming` of the
 * `.wasm` next to this module, which bundlers that understand `new URL(..., import.meta.url)`
 * (Vite, webpack 5, esbuild with a file loader, Parcel) copy along. No COOP/COEP headers are
 * needed: the module has no threads and no imports.
 */
import { Model, modelExports, wasmApi } from './core.js';

/** Where the module is: a URL, a fetch Response, or its bytes. */
export type ModelSource = string | URL | Response | ArrayBuffer | Uint8Array;

/** The package's own module, relative to this file (dist/src/model/ → dist/wasm/). */
export function defaultModelUrl(): URL {
  return new URL('../../wasm/pidns_tree.wasm', import.meta.url);
}

/** Fetches and instantiates the model. */
export async function loadModelFrom(source: ModelSource = defaultModelUrl()): Promise<Model> {
  const api = wasmApi();
  if (source instanceof ArrayBuffer || source instanceof Uint8Array) {
    return new Model(modelExports((await api.instantiate(source, {})).instance.exports));
  }
  const response = source instanceof Response ? source : await fetch(source);
  if (!response.ok) throw new Error(`cannot load pidns-tree's model from ${response.url}: HTTP ${response.status}`);
  // Streaming compiles while it downloads, but needs the server to say application/wasm.
  if (api.instantiateStreaming !== undefined && response.headers.get('content-type') === 'application/wasm') {
    return new Model(modelExports((await api.instantiateStreaming(response, {})).instance.exports));
  }
  return new Model(modelExports((await api.instantiate(await response.arrayBuffer(), {})).instance.exports));
}
