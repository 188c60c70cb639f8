/**
 * What `pidns-tree test` runs: files, directories (every *.json below, not following symbolic
 * links, skipping node_modules and hidden directories) and globs (`*`, `?`, `[...]`, `**`),
 * for shells that do not expand them or quoted ones. Sorted, each file once.
 */
import { lstatSync, readdirSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';

export interface Inputs {
  readonly files: string[];
  /** Arguments that named nothing to run, and why. */
  readonly unmatched: { readonly arg: string; readonly why: string }[];
}

const MAGIC = /[*?[]/;

function skippedDir(name: string): boolean {
  return name === 'node_modules' || name.startsWith('.');
}

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** A directory entry that is a file, or a symbolic link to one (never followed into directories). */
function isFileEntry(dir: string, e: Dirent): boolean {
  if (e.isFile()) return true;
  if (!e.isSymbolicLink()) return false;
  try {
    return statSync(path.join(dir, e.name)).isFile();
  } catch {
    return false;
  }
}

/** Every *.json file below `dir`. */
function walk(dir: string, out: string[]): void {
  for (const e of entries(dir)) {
    if (e.isDirectory()) {
      if (!skippedDir(e.name)) walk(path.join(dir, e.name), out);
    } else if (e.name.endsWith('.json') && isFileEntry(dir, e)) out.push(path.join(dir, e.name));
  }
}

/** One path segment of a glob as a regular expression; `*` and `?` match no leading dot. */
export function segmentPattern(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i += 1) {
    const c = segment[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close === -1) re += '\\[';
      else {
        const body = segment.slice(i + 1, close);
        re += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  const dotOk = segment.startsWith('.');
  return new RegExp(`^${dotOk ? '' : '(?!\\.)'}${re}$`);
}

/** The files matching a glob's segments below `dir`. */
function expand(dir: string, segments: readonly string[], out: string[]): void {
  const [first, ...rest] = segments;
  if (first === undefined) return;
  if (first === '**') {
    expand(dir, rest, out); // zero directories
    for (const e of entries(dir)) {
      if (e.isDirectory() && !skippedDir(e.name)) expand(path.join(dir, e.name), segments, out);
    }
    return;
  }
  if (!MAGIC.test(first)) {
    const next = path.join(dir, first);
    if (rest.length === 0) {
      if (isFile(next)) out.push(next);
    } else expand(next, rest, out);
    return;
  }
  const pattern = segmentPattern(first);
  for (const e of entries(dir)) {
    if (!pattern.test(e.name)) continue;
    if (rest.length === 0) {
      if (isFileEntry(dir, e)) out.push(path.join(dir, e.name));
    } else if (e.isDirectory()) expand(path.join(dir, e.name), rest, out);
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The tree files the arguments name, relative as given. */
export function resolveInputs(args: readonly string[]): Inputs {
  const found: string[] = [];
  const unmatched: { arg: string; why: string }[] = [];
  for (const arg of args) {
    const before = found.length;
    if (MAGIC.test(arg)) {
      const absolute = path.isAbsolute(arg);
      const segments = arg.split('/').filter((s, i) => s !== '' || (i === 0 && absolute));
      const base = absolute ? '/' : '.';
      expand(base, absolute ? segments.slice(1) : segments, found);
      if (found.length === before) unmatched.push({ arg, why: 'no file matches this pattern' });
      continue;
    }
    let stat;
    try {
      stat = lstatSync(arg).isSymbolicLink() ? statSync(arg) : lstatSync(arg);
    } catch {
      unmatched.push({ arg, why: 'no such file or directory' });
      continue;
    }
    if (stat.isDirectory()) {
      walk(arg, found);
      if (found.length === before) unmatched.push({ arg, why: 'no *.json file in this directory' });
    } else found.push(arg);
  }
  const files = [...new Set(found.map((f) => path.normalize(f)))].sort();
  return { files, unmatched };
}
