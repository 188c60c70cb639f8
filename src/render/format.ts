/** Small text helpers shared by the renderers. */
import type { Pids } from '../events.js';

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
}

const plain: Style = { bold: (t) => t, dim: (t) => t, red: (t) => t };
const ansi: Style = {
  bold: (t) => `\u001b[1m${t}\u001b[22m`,
  dim: (t) => `\u001b[2m${t}\u001b[22m`,
  red: (t) => `\u001b[31m${t}\u001b[39m`,
};

/** Colours only for a terminal, and never when NO_COLOR is set (no-color.org). */
export function styleFor(stream: NodeJS.WriteStream): Style {
  const wanted = stream.isTTY === true && process.env['NO_COLOR'] === undefined;
  return wanted ? ansi : plain;
}

/**
 * `pid 2 in root/a/b · 5 in root/a · 9 in root · 48211 on host`: innermost level first, the
 * way one reads a process from where it lives outwards.
 */
export function pidChain(pids: Pids, style: Style = plain): string {
  const levels = Object.entries(pids)
    .filter(([level]) => level !== 'host')
    .reverse();
  const parts = levels.map(([level, pid], i) => `${i === 0 ? 'pid ' : ''}${pid} in ${level}`);
  const host = pids['host'];
  if (host !== undefined) parts.push(style.dim(`${host} on host`));
  return parts.join(' · ');
}

/** A command line as a user would type it: quoted only where needed. */
export function shellWords(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** `exited 0`, `exited 3`, `killed by SIGKILL (137)`. */
export function describeExit(code: number, signal: string | null): string {
  return signal === null ? `exited ${code}` : `killed by ${signal} (${code})`;
}
