/**
 * Text helpers that use nothing of Node: the CLI's renderers (through format.ts), the diagram
 * (render/diagram/) and the web pages share them.
 */
import type { PidRange } from '../model/types.js';

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
}

export const plain: Style = { bold: (t) => t, dim: (t) => t, red: (t) => t };

/** A PID, or the range it falls in where sibling namespaces race at start-up (`plan`: `4–6`). */
export function pidText(v: number | PidRange | undefined): string {
  if (v === undefined) return '';
  return typeof v === 'number' ? String(v) : `${v[0]}–${v[1]}`;
}

/**
 * `pid 2 in root/a/b · 5 in root/a · 9 in root · 48211 on host`: innermost level first, the
 * way one reads a process from where it lives outwards. `pids` has its levels root first, as
 * events and plans give them (`host` anywhere); a plan's ranges read `4–6`.
 */
export function pidChain(pids: Readonly<Record<string, number | PidRange>>, style: Style = plain): string {
  const levels = Object.keys(pids)
    .filter((level) => level !== 'host')
    .reverse();
  const parts = levels.map((level, i) => `${i === 0 ? 'pid ' : ''}${pidText(pids[level])} in ${level}`);
  const host = pids['host'];
  if (host !== undefined) parts.push(style.dim(`${pidText(host)} on host`));
  return parts.join(' · ');
}

/** A command line as a user would type it: quoted only where needed. */
export function shellWords(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

/** `1 zombie`, `3 zombies`: a number and its noun, singular for one. */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** `exited 0`, `exited 3`, `killed by SIGKILL (137)`. */
export function describeExit(code: number, signal: string | null): string {
  return signal === null ? `exited ${code}` : `killed by ${signal} (${code})`;
}
