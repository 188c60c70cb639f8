/**
 * The live page's first picture, in its HTML: the tree the server follows (the one it was
 * started for), packed with its version as a JSON data block, and drawn as the SVG the page
 * would draw from it. The page is on screen with its diagram before any of its script runs;
 * the script then takes over the drawing (same layout, same rows: render/diagram/live-view.ts)
 * and asks the event stream only for what came after that version.
 *
 * A JSON data block is not script: the Content-Security-Policy does not apply, and `<` is
 * escaped so that nothing in the data (a command, a name) can close the element; the SVG's
 * texts are escaped as XML.
 */
import { LiveState } from '../render/diagram/live-state.js';
import { drawnRows, FIRST_VIEW, liveLayout } from '../render/diagram/live-view.js';
import { renderSvg } from '../render/diagram/svg.js';
import { htmlSafeJson, snapshotJson } from './snapshot-json.js';
import type { Picture, TreeCatalog } from './source.js';

export interface FirstPicture {
  /** The data block: `null`, or the tree, the version, the rows drawn and the packed snapshot. */
  readonly data: string;
  /** The diagram's SVG markup, or nothing. */
  readonly diagram: string;
}

const NONE: FirstPicture = { data: 'null', diagram: '' };

export function firstPicture(catalog: TreeCatalog | null, id: string | undefined): FirstPicture {
  let picture: Picture | undefined;
  try {
    picture = id === undefined ? undefined : catalog?.get(id)?.picture();
  } catch {
    // the tree is not readable now: the page asks the event stream, which says why
  }
  if (id === undefined || picture === undefined) return NONE;
  const layout = liveLayout(LiveState.fromSnapshot(picture.snapshot).diagram(`tree ${id}`));
  const [from, to] = drawnRows(layout.rows, FIRST_VIEW);
  const diagram = renderSvg(layout, {
    interactive: true,
    rows: (all) => all.filter((r) => r.row >= from && r.row < to),
  });
  return {
    data: `{"tree":${htmlSafeJson(id)},"version":${picture.version},"drawn":[${from},${to}],"snapshot":${snapshotJson(picture.snapshot)}}`,
    diagram,
  };
}
