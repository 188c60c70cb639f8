/**
 * What a lifecycle event says, in the same words wherever a person reads it: `spawn`'s output
 * (human.ts), `simulate`'s steps and the playground (model-view.ts), the live page's event log.
 * Each puts it after `node:process` in its own way (padded, dimmed, coloured). Nothing of Node:
 * the web pages bundle it.
 */
import type { ExitEvent, ReapEvent, StartEvent, ZombiesEvent } from '../events.js';
import { counted, describeExit, pidChain } from './words.js';

/** The events about one process (a namespace's init, for reaps and zombies). */
export type ProcessEvent = StartEvent | ExitEvent | ReapEvent | ZombiesEvent;

/**
 * How a process is named: `chain`, its PID at every level (`spawn`, the live page); `own`, its
 * PID in its own namespace (`simulate`, whose tree above the steps gives the rest).
 */
export type PidNaming = 'chain' | 'own';

/** `node:process` the event is about: `node:init` for a reap or a count of zombies. */
/** A reaped orphan's PIDs, innermost first, or its PID in the reaping namespace when the chain is not known. */
export function orphanPids(e: ReapEvent): string {
  return e.pids === undefined ? `pid ${e.pid}` : pidChain(e.pids);
}

export function eventSubject(e: ProcessEvent): string {
  return `${e.node}:${e.event === 'reap' || e.event === 'zombies' ? 'init' : e.process}`;
}

/**
 * `started, pid 2 in root/a · 4 in root`, `exited 3`, `namespace ended, init killed by SIGKILL
 * (137): why`, `reaped orphan pid 5, exited 0`, `1 zombie (pid 3): this PID 1 does not reap`.
 */
export function eventWords(e: ProcessEvent, naming: PidNaming = 'chain'): string {
  switch (e.event) {
    case 'start':
      return `started, ${naming === 'own' ? `pid ${e.pid}` : pidChain(e.pids)}`;
    case 'exit': {
      const how = describeExit(e.code, e.signal);
      const what = e.process === 'init' ? `namespace ended, init ${how}` : how;
      const why = e.error ?? e.reason;
      return why === undefined ? what : `${what}: ${why}`;
    }
    case 'reap':
      return `reaped orphan ${naming === 'own' ? `pid ${e.pid}` : orphanPids(e)}, ${describeExit(e.code, e.signal)}`;
    case 'zombies':
      return e.count === 0
        ? 'no zombies left'
        : `${counted(e.count, 'zombie')} (pid ${e.pids.join(', ')}): this PID 1 does not reap`;
  }
}
