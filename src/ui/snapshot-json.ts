/**
 * A tree's snapshot as the JSON the pages get (packed: render/diagram/live-state.ts), with `<`
 * escaped so that it can sit in the page's HTML. The list of processes, which is most of it (185
 * KB for a thousand processes 32 levels deep), is packed and written once for as long as it is
 * the same list: under a storm of reaps only the counts change, and every page that opens
 * meanwhile is sent the same text.
 */
import { packCounts, packProcesses, type LiveProcess, type LiveSnapshot } from '../render/diagram/live-state.js';

const written = new WeakMap<readonly LiveProcess[], string>();

/** JSON that cannot close or open an HTML element: `<` only occurs in its strings, as \u003c. */
export function htmlSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

export function snapshotJson(s: LiveSnapshot): string {
  let processes = written.get(s.processes);
  if (processes === undefined) {
    processes = htmlSafeJson(packProcesses(s.processes));
    written.set(s.processes, processes);
  }
  const { zombies, reaped, ended } = packCounts(s);
  return `{"processes":${processes},"zombies":${htmlSafeJson(zombies)},"reaped":${htmlSafeJson(reaped)},"ended":${htmlSafeJson(ended)}}`;
}
