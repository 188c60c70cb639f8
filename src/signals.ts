/**
 * Signals as a user names them (`TERM`, `sigterm`, `SIGTERM`, `9`, `RTMIN+3`), checked against
 * what the kernel has: a value that is not a signal is refused, never wrapped or guessed.
 */
import { constants as os } from 'node:os';

import { PidnsTreeError } from './errors.js';

export type SignalName = keyof typeof os.signals;

/** The kernel's highest signal (_NSIG on x86_64 and arm64); 32 up to it are real-time. */
export const SIGNAL_MAX = 64;
/** Real-time signals as `kill -l` names them: glibc keeps 32 and 33 for itself, so RTMIN is 34. */
const RTMIN = 34;

const HELP =
  'give a name (TERM, SIGKILL, usr1: any case, with or without SIG; RTMIN+N, RTMAX-N) ' +
  `or a number from 1 to ${SIGNAL_MAX} (32 and up are real-time signals)`;

function refuse(what: string, why = 'is not a signal'): never {
  throw new PidnsTreeError('BAD_SIGNAL', `${what} ${why}: ${HELP}`);
}

/** A signal number, if `n` is one the kernel would deliver (0 only tests that a process exists). */
function checkedNumber(n: number, shown: string): number {
  if (n === 0) refuse(shown, 'is not a signal (0 only checks that a process exists: use `pidns-tree ps`)');
  if (!Number.isInteger(n) || n < 1 || n > SIGNAL_MAX) refuse(shown);
  return n;
}

/** RTMIN, RTMIN+N, RTMAX, RTMAX-N (after SIG was stripped), as glibc and `kill -l` count. */
function realTime(name: string, shown: string): number | undefined {
  const match = /^RT(MIN|MAX)(?:([+-])(\d{1,2}))?$/.exec(name);
  if (match === null) return undefined;
  const [, end, sign, offset] = match;
  if (sign !== undefined && sign !== (end === 'MIN' ? '+' : '-')) refuse(shown);
  const n = end === 'MIN' ? RTMIN + Number(offset ?? 0) : SIGNAL_MAX - Number(offset ?? 0);
  if (n < RTMIN || n > SIGNAL_MAX)
    refuse(shown, `is past the real-time range (RTMIN is ${RTMIN}, RTMAX ${SIGNAL_MAX})`);
  return n;
}

/**
 * The number of the signal `text` names: a decimal number, or a name in any case with or
 * without `SIG`. Throws BAD_SIGNAL, saying what is accepted, for anything else.
 */
export function parseSignal(text: string): number {
  const shown = JSON.stringify(text);
  if (/^\d+$/.test(text)) return checkedNumber(Number(text), text);
  const upper = text.toUpperCase();
  const bare = upper.startsWith('SIG') ? upper.slice(3) : upper;
  const known = (os.signals as Record<string, number | undefined>)[`SIG${bare}`];
  if (known !== undefined) return known;
  return realTime(bare, shown) ?? refuse(shown);
}

/** The number of a signal given by name (as parseSignal reads it) or number, checked. */
export function signalNumber(signal: SignalName | number): number {
  if (typeof signal === 'number') return checkedNumber(signal, String(signal));
  if (typeof signal !== 'string') return refuse(String(signal));
  return parseSignal(signal);
}
