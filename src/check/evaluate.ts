/**
 * Judges each expectation against what a run showed, and says both in words: what was
 * expected, and what happened. Pure: the observation holds everything it needs.
 */
import type { ExitEvent } from '../events.js';
import { MATCH_FLAGS, targetOf, type Expectation } from './expectations.js';
import type { Observation } from './observe.js';
import type { ExpectationResult } from './results.js';

/** `0`, `0 or 143`, `0, 1 or 2`. */
function orList(items: readonly (number | string)[]): string {
  const s = items.map(String);
  return s.length <= 1 ? (s[0] ?? '') : `${s.slice(0, -1).join(', ')} or ${s.at(-1) ?? ''}`;
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** `0.25 s`, `2.5 s`, `60 s`. */
export function seconds(ms: number): string {
  return `${ms < 10_000 ? Number((ms / 1000).toFixed(2)) : Math.round(ms / 1000)} s`;
}

/** A string as JSON shows it, cut to `max` characters. */
function quote(text: string, max = 80): string {
  const q = JSON.stringify(text);
  return q.length <= max ? q : `${q.slice(0, max - 2)}…"`;
}

function pidList(pids: readonly number[]): string {
  const shown = pids.slice(0, 10).join(', ');
  return `pid${pids.length === 1 ? '' : 's'} ${shown}${pids.length > 10 ? ', …' : ''}`;
}

/** `exited 0`, `was killed by SIGTERM (143)`, `could not run: ... (127)`. */
export function describeExit(exit: ExitEvent): string {
  if (exit.error !== undefined) return `could not run: ${exit.error} (${exit.code})`;
  const how = exit.signal === null ? `exited ${exit.code}` : `was killed by ${exit.signal} (${exit.code})`;
  return exit.reason === undefined ? how : `${how}: ${exit.reason}`;
}

/** The lines of a stream's text: the newline ends a line; a last line without one counts. */
function linesOf(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line += 1;
  return line;
}

/** What a stream held, briefly: for a failure's "actual". */
function streamSummary(text: string, stream: string): string {
  const lines = linesOf(text);
  if (lines.length === 0) return `nothing was written to ${stream}`;
  const tail = lines.slice(-3).map((l) => quote(l, 60));
  const where = lines.length > 3 ? `its last lines are ${tail.join(', ')}` : `it is ${tail.join(', ')}`;
  return `${plural(lines.length, 'line')} of ${stream}: ${where}`;
}

class Judge {
  readonly #obs: Observation;

  constructor(obs: Observation) {
    this.#obs = obs;
  }

  /** Why pidns-tree ended it, when it did: said next to its exit. */
  #stopNote(target: string): string {
    const own = this.#obs.stopped.get(target);
    if (own !== undefined) return ` (pidns-tree stopped it: ${own})`;
    if (this.#obs.treeStopped !== undefined) return ` (pidns-tree stopped the tree: ${this.#obs.treeStopped})`;
    return '';
  }

  /** Why something never started: the tree's errors. */
  #neverStarted(): string {
    const errors = this.#obs.errors.map((e) => `${e.node}: ${e.message}`);
    return errors.length === 0 ? 'it never started' : `it never started: ${errors.join('; ')}`;
  }

  judge(e: Expectation): { expected: string; passed: boolean; actual: string } {
    const obs = this.#obs;
    const target = targetOf(e);
    switch (e.kind) {
      case 'exitCode':
      case 'signal': {
        const expected = e.kind === 'exitCode' ? `exits with code ${orList(e.codes)}` : `is killed by ${e.signal}`;
        const exit = obs.exits.get(target)?.event;
        if (exit === undefined) return { expected, passed: false, actual: this.#neverStarted() };
        const passed = e.kind === 'exitCode' ? e.codes.includes(exit.code) : exit.signal === e.signal;
        return { expected, passed, actual: `${describeExit(exit)}${this.#stopNote(target)}` };
      }
      case 'output':
        return this.#output(e, target);
      case 'within':
        return e.subject === 'tree' ? this.#treeWithin(e) : this.#processWithin(e, target);
      case 'zombies': {
        const count = obs.zombies.get(e.node) ?? { max: [], last: [] };
        if (e.bound === 'max') {
          const expected = `has at most ${plural(e.count, 'zombie')} under its PID 1 at any time`;
          const max = count.max;
          const actual = max.length === 0 ? 'none was seen' : `${max.length} at once (${pidList(max)})`;
          return { expected, passed: max.length <= e.count, actual };
        }
        const expected = `ends with exactly ${plural(e.count, 'zombie')} under its PID 1`;
        if (!obs.starts.has(`${e.node}:init`)) return { expected, passed: false, actual: this.#neverStarted() };
        const last = count.last;
        const when = obs.exits.has(`${e.node}:init`) ? 'when it ended' : 'when the tree ended';
        const actual = last.length === 0 ? `none ${when}` : `${last.length} ${when} (${pidList(last)})`;
        return { expected, passed: last.length === e.count, actual };
      }
      case 'reaped': {
        const { min, max } = e;
        const expected =
          min !== undefined && min === max
            ? `reaps exactly ${plural(min, 'orphan')}`
            : min !== undefined && max !== undefined
              ? `reaps between ${min} and ${plural(max, 'orphan')}`
              : min !== undefined
                ? `reaps at least ${plural(min, 'orphan')}`
                : `reaps at most ${plural(max ?? 0, 'orphan')}`;
        const reaps = obs.reaps.get(e.node) ?? [];
        const n = reaps.length;
        const passed = (min === undefined || n >= min) && (max === undefined || n <= max);
        const actual = n === 0 ? 'it reaped none' : `it reaped ${n} (${pidList(reaps.map((r) => r.pid))})`;
        return { expected, passed, actual };
      }
      case 'processesSeen': {
        const expected = `lists ${plural(e.count, 'process', 'processes')} in its /proc once the tree is up`;
        const seen = obs.seen.get(e.node);
        if (seen === undefined || 'unread' in seen) {
          const why = seen === undefined ? (obs.upAt === undefined ? this.#notUp() : 'it was not read') : seen.unread;
          return { expected, passed: false, actual: `not read: ${why}` };
        }
        return {
          expected,
          passed: seen.pids.length === e.count,
          actual: `it listed ${seen.pids.length} (${pidList(seen.pids)})`,
        };
      }
      case 'code': {
        const expected = `exits with ${orList(e.codes)}${e.implicit === 'noExpect' ? ' (the file states no expectation)' : ''}`;
        const end = obs.end?.event;
        if (end === undefined) return { expected, passed: false, actual: 'it did not end' };
        let actual = `it exited ${end.code}`;
        const first = obs.firstFailure;
        if (end.code !== 0 && first !== undefined) {
          const who = `${first.node}:${first.process}`;
          actual += `: ${who} ${describeExit(first)}${this.#stopNote(who)}`;
        } else if (end.code !== 0 && obs.errors[0] !== undefined)
          actual += `: ${obs.errors[0].node}: ${obs.errors[0].message}`;
        return { expected, passed: e.codes.includes(end.code), actual };
      }
      case 'ranAsDeclared': {
        const errors = obs.errors.map((x) => `${x.node}: ${x.message}`);
        return {
          expected: 'runs as declared',
          passed: errors.length === 0,
          actual: errors.length === 0 ? 'it did' : errors.join('; '),
        };
      }
    }
  }

  #notUp(): string {
    return this.#obs.errors.length > 0
      ? `the tree never was fully up (${this.#obs.errors.map((x) => `${x.node}: ${x.message}`).join('; ')})`
      : 'the tree never was fully up';
  }

  #processWithin(
    e: Extract<Expectation, { kind: 'within' }>,
    target: string,
  ): { expected: string; passed: boolean; actual: string } {
    const expected = `exits within ${seconds(e.ms)}`;
    const start = this.#obs.starts.get(target);
    const exit = this.#obs.exits.get(target);
    if (start === undefined || exit === undefined) return { expected, passed: false, actual: this.#neverStarted() };
    const stopped = this.#obs.stopped.get(target);
    if (stopped !== undefined) {
      return {
        expected,
        passed: false,
        actual: `still running after ${seconds(e.ms)}: pidns-tree stopped it, and it ${describeExit(exit.event)}`,
      };
    }
    return { expected, passed: true, actual: `exited after ${seconds(exit.at - start.at)}` };
  }

  #treeWithin(e: Extract<Expectation, { kind: 'within' }>): { expected: string; passed: boolean; actual: string } {
    const expected = `ends within ${seconds(e.ms)}${e.implicit === 'timeout' ? ' (--timeout)' : ''}`;
    if (this.#obs.treeStopped !== undefined && this.#obs.treeStopped.startsWith('within')) {
      return { expected, passed: false, actual: `still running after ${seconds(e.ms)}: pidns-tree stopped it` };
    }
    const end = this.#obs.end;
    return { expected, passed: true, actual: end === undefined ? 'it did not end' : `ended after ${seconds(end.at)}` };
  }

  #output(
    e: Extract<Expectation, { kind: 'output' }>,
    target: string,
  ): { expected: string; passed: boolean; actual: string } {
    const bytes = this.#obs.output(target, e.stream);
    const text = bytes?.toString('utf8') ?? '';
    const expected =
      e.match === 'contains'
        ? `${e.stream} contains ${quote(e.value)}`
        : e.match === 'matches'
          ? `${e.stream} matches /${e.value}/${MATCH_FLAGS}`
          : e.value.length === 0
            ? `${e.stream} is empty`
            : `${e.stream} is exactly ${plural(e.value.length, 'line')}: ${e.value
                .slice(0, 3)
                .map((l) => quote(l, 40))
                .join(', ')}${e.value.length > 3 ? ', …' : ''}`;
    if (!this.#obs.starts.has(target)) return { expected, passed: false, actual: this.#neverStarted() };
    if (e.match === 'contains') {
      const at = text.indexOf(e.value);
      return at === -1
        ? { expected, passed: false, actual: `not found: ${streamSummary(text, e.stream)}` }
        : { expected, passed: true, actual: `found on line ${lineAt(text, at)}` };
    }
    if (e.match === 'matches') {
      const m = new RegExp(e.value, MATCH_FLAGS).exec(text);
      return m === null
        ? { expected, passed: false, actual: `no match: ${streamSummary(text, e.stream)}` }
        : { expected, passed: true, actual: `matched ${quote(m[0], 60)} on line ${lineAt(text, m.index)}` };
    }
    const got = linesOf(text);
    const want = e.value;
    const i = want.findIndex((line, k) => got[k] !== line);
    if (i === -1 && got.length === want.length) return { expected, passed: true, actual: 'it is' };
    let actual: string;
    if (i !== -1 && i < got.length)
      actual = `line ${i + 1} is ${quote(got[i] ?? '', 60)}, not ${quote(want[i] ?? '', 60)}`;
    else if (got.length < want.length)
      actual = `it has ${plural(got.length, 'line')}: line ${got.length + 1} (${quote(want[got.length] ?? '', 60)}) is missing`;
    else
      actual = `it has ${plural(got.length, 'line')}: line ${want.length + 1} is ${quote(got[want.length] ?? '', 60)}, more than expected`;
    return { expected, passed: false, actual };
  }
}

/** Who an expectation is about, as titles name it: `root/a:worker`, `root/a`, `tree root`. */
export function subjectLabel(e: Expectation): string {
  return e.subject === 'tree' ? `tree ${e.node}` : targetOf(e);
}

/**
 * Every expectation judged, in the order given; implicit ones (`always`, `timeout`) only when
 * they failed.
 */
export function evaluate(expectations: readonly Expectation[], obs: Observation): ExpectationResult[] {
  const judge = new Judge(obs);
  const out: ExpectationResult[] = [];
  for (const e of expectations) {
    const { expected, passed, actual } = judge.judge(e);
    if (passed && (e.implicit === 'always' || e.implicit === 'timeout')) continue;
    out.push({ expectation: e, title: `${subjectLabel(e)} ${expected}`, passed, expected, actual });
  }
  return out;
}
