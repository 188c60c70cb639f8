/**
 * The live page's first picture, in its HTML: the tree the server follows (the one it was
 * started for), packed with its version, as a JSON data block. The page draws it without a
 * round trip, then asks the event stream only for what came after that version.
 *
 * A JSON data block is not script: the Content-Security-Policy does not apply, and `<` is
 * escaped so that nothing in the data (a command, a name) can close the element.
 *
 * Not the diagram itself: drawn into the page by the server it was slower to appear (bench/NOTES.md).
 */
import { htmlSafeJson, snapshotJson } from './snapshot-json.js';
import type { Picture, TreeCatalog } from './source.js';

/** The data block: `null`, or the tree, the version and the packed snapshot. */
export function firstPicture(catalog: TreeCatalog | null, id: string | undefined): string {
  let picture: Picture | undefined;
  try {
    picture = id === undefined ? undefined : catalog?.get(id)?.picture();
  } catch {
    // the tree is not readable now: the page asks the event stream, which says why
  }
  if (id === undefined || picture === undefined) return 'null';
  return `{"tree":${htmlSafeJson(id)},"version":${picture.version},"snapshot":${snapshotJson(picture.snapshot)}}`;
}
