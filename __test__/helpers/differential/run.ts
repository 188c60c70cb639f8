/**
 * One differential case: the scenario's tree started for real (every process an agent) and in
 * the model, each step played on both, and what the kernel did compared with what the model
 * says: each step's result (ESRCH, ENOMEM, EPERM), the PIDs of every new process at every
 * level, who is alive, zombie or gone, process groups and sessions, what each namespace's
 * /proc lists, and in the end every exit (code, signal), reap and zombie count, and the end.
 * A difference throws a Disagreement that carries the scenario as ready-to-run files.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants as os, tmpdir } from 'node:os';
import path from 'node:path';

import { spawnTree, type Tree } from '../../../src/index.js';
import type { ExitEvent, ReapEvent, TreeEvent, ZombiesEvent } from '../../../src/events.js';
import { plan, simulate } from '../../../src/model/api.js';
import type { Simulation, Step, StepOutcome } from '../../../src/model/types.js';
import type { TreeSpec } from '../../../src/spec.js';
import { Feed, tell, type HostHelper } from './agent.js';
import { buildSpec, resolveStep, specId, within, type Scenario } from './scenario.js';
import { hostPid as hostPidOf, ofKind } from '../events.js';

export class Disagreement extends Error {
  override readonly name = 'Disagreement';
  /** The tree and the steps (with the start-up PIDs the run got) to replay it. */
  readonly spec: TreeSpec;
  readonly steps: { pids: Record<string, Record<string, number>>; steps: Step[] };

  constructor(message: string, spec: TreeSpec, steps: { pids: Record<string, Record<string, number>>; steps: Step[] }) {
    super(message);
    this.spec = spec;
    this.steps = steps;
  }

  /** Writes tree.json and steps.json into a new directory; returns the command to replay. */
  save(): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'pidns-tree-disagreement-'));
    writeFileSync(path.join(dir, 'tree.json'), `${JSON.stringify(this.spec, null, 2)}\n`);
    writeFileSync(path.join(dir, 'steps.json'), `${JSON.stringify(this.steps, null, 2)}\n`);
    return `pidns-tree simulate ${dir}/tree.json --steps ${dir}/steps.json`;
  }
}

export interface Env {
  agent: string;
  host: HostHelper;
  /** Parent directory for each case's FIFOs. */
  base: string;
}

interface Real {
  /** Its agent id (our inits have none). */
  id?: string;
  hostPid: number;
  /** NSpid as the host reads it: host first. */
  nspid: number[];
  /** Its /proc is its node's, and it speaks through the tree's output (not a process that
   * entered the namespace from the host, or one of its forks: those speak through the helper). */
  ownMount: boolean;
  /** Whose output pipe it writes to (the spec's process or user PID 1 it was forked from),
   * relayed by the init that started that one; none for our inits and entered processes. */
  pipe?: string;
  /** Index of the host helper's "watching" line for it. */
  watchedAt: number;
}

const key = (node: string, process: string): string => `${node}:${process}`;

/** A step's process path (`node` or `node:process`) as a key. */
function keyOf(target: string): string {
  return target.includes(':') ? target : key(target, 'init');
}

function nspidOf(hostPid: number): number[] | undefined {
  try {
    const line = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${hostPid}/status`, 'utf8'));
    return line?.[1]?.trim().split(/\s+/).map(Number);
  } catch {
    return undefined;
  }
}

/** running, stopped, zombie or gone, as the host's /proc says (the same NSpid, so not a reuse). */
function stateOf(r: Real): { state: string; pgid?: number; sid?: number } {
  const now = nspidOf(r.hostPid);
  if (now === undefined || now.join(' ') !== r.nspid.join(' ')) return { state: 'gone' };
  let stat: string;
  try {
    stat = readFileSync(`/proc/${r.hostPid}/stat`, 'utf8');
  } catch {
    return { state: 'gone' };
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const letter = fields[0] ?? '?';
  const state =
    letter === 'Z' ? 'zombie' : letter === 'T' || letter === 't' ? 'stopped' : letter === 'X' ? 'gone' : 'running';
  return { state, pgid: Number(fields[2]), sid: Number(fields[3]) };
}

function signalNumber(signal: string | number | undefined): number {
  if (signal === undefined) return os.signals.SIGTERM;
  if (typeof signal === 'number') return signal;
  if (signal === '0') return 0;
  const n = os.signals[(signal.startsWith('SIG') ? signal : `SIG${signal}`) as keyof typeof os.signals];
  if (n === undefined) throw new Error(`unknown signal ${signal}`);
  return n;
}

/** The levels (node paths) of a node, root first. */
function levels(node: string): string[] {
  const parts = node.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

export async function runScenario(s: Scenario, env: Env): Promise<void> {
  const dir = mkdtempSync(path.join(env.base, 'case-'));
  const spec = buildSpec(s, env.agent, dir);
  const resolved: Step[] = [];
  const pins: Record<string, Record<string, number>> = {};
  const disagree = (message: string): Disagreement => new Disagreement(message, spec, { pids: pins, steps: resolved });
  const predicted = plan(spec).predicted;
  const known = new Map<string, Real>();
  const events: TreeEvent[] = [];
  const eventFeed = new Feed();
  const out = new Feed();
  let tree: Tree | undefined;
  let children = 0;
  const unheld = new Set<string>();
  let echoes = 0;
  const host = env.host;
  try {
    tree = await spawnTree(spec, { mode: s.rootless ? 'rootless' : 'privileged', startTimeoutMs: 30_000 });
    const running = tree;
    void (async () => {
      for await (const e of running.events()) {
        events.push(e);
        eventFeed.push(JSON.stringify(e));
        if (e.event === 'output') out.push(e.line);
      }
      eventFeed.close();
      out.close();
    })();
    const agents = predicted.filter((p) => p.process !== 'init' || p.userInit);
    const nodeIndex = (node: string): number => predictedNodes(predicted).indexOf(node);
    // Every agent says "ready" once its FIFO is open.
    for (const p of agents) {
      const id = specId(nodeIndex(p.node), p.process === 'init' ? 'init' : Number(p.process.slice(1)));
      await out.next((l) => (l.startsWith(`ready ${id} `) ? true : undefined), 0, 10_000, `${id} to be ready`);
    }
    // Start-up: every PID within what the model says is possible; then pinned as they came.
    const starts = [
      ...tree.nodes().map((n) => ({ node: n.path, process: 'init', pids: n.pids })),
      ...tree.processes().map((p) => ({ node: p.node, process: p.name, pids: p.pids })),
    ];
    for (const e of starts) {
      const p = predicted.find((q) => q.node === e.node && q.process === e.process);
      if (p === undefined) throw disagree(`start-up: ${e.node}:${e.process} started, but the plan has no such process`);
      const pinned: Record<string, number> = {};
      for (const level of levels(e.node)) {
        const real = e.pids[level] ?? -1;
        const exact = p.pids[level];
        const range = p.ranges[level] ?? (exact === undefined ? undefined : [exact, exact]);
        if (range === undefined || real < range[0] || real > range[1]) {
          throw disagree(
            `start-up: ${e.node}:${e.process} is PID ${real} in ${level}; the model says ${exact ?? `${range?.[0]} to ${range?.[1]}`}`,
          );
        }
        pinned[level] = real;
      }
      pins[key(e.node, e.process)] = pinned;
      const id =
        e.process === 'init' && !p.userInit
          ? undefined
          : specId(nodeIndex(e.node), e.process === 'init' ? 'init' : Number(e.process.slice(1)));
      const hostPid = hostPidOf(e);
      const watchedAt = await watch(host, hostPid);
      known.set(key(e.node, e.process), {
        ...(id === undefined ? {} : { id }),
        hostPid,
        nspid: Object.values(e.pids),
        ownMount: true,
        ...(id === undefined ? {} : { pipe: key(e.node, e.process) }),
        watchedAt,
      });
      // A handle on each namespace, to enter it later (also once its PID 1 is gone). An init
      // with nothing to run has exited already: its namespace cannot be held any more.
      if (e.process === 'init') {
        const held = await host.request(`hold ${e.node} ${hostPid}`, (l) =>
          l === `held ${e.node}` ? true : l.startsWith(`holdfail ${e.node} `) ? false : undefined,
        );
        if (!held) unheld.add(e.node);
      }
    }
    const model = (steps: Step[]): Simulation => simulate(spec, { pids: pins, steps });
    let before = model([]);
    // What follows the start-up itself (an init with nothing to run exits at once).
    await settle(before, before, { events: before.startup.filter((e) => e.event !== 'start') }, 'the start-up', true);
    compareState(before, known, 'after the start', disagree);
    let forks = 0;
    if (s.replay !== undefined) {
      for (const step of s.replay) before = await play(step);
    } else {
      for (const g of s.steps) {
        // Composite steps resolve one by one: each in the state the previous one left.
        for (const step of resolveStep(g, before, unheld, () => `f${forks++}`)) before = await play(step);
      }
    }
    // The end: SIGKILL from the host to the root's PID 1 takes the whole tree.
    before = await play({ op: 'kill', from: 'host', target: spec.name, signal: 'SIGKILL' });
    await eventFeed.next((l) => (l.includes('"event":"end"') ? true : undefined), 0, 10_000, 'the end of the tree');
    compareEvents(before, events, disagree);

    async function play(step: Step): Promise<Simulation> {
      const after = model([...resolved, step]);
      resolved.push(step);
      const outcome = after.steps.at(-1) as StepOutcome;
      const where = `step ${resolved.length} (${JSON.stringify(step)})`;
      if (outcome.result !== 'skipped') {
        const result = await act(step, outcome, after, where);
        if (result !== outcome.result) {
          throw disagree(
            `${where}: the kernel says ${result}, the model ${outcome.result}${outcome.message === undefined ? '' : ` (${outcome.message})`}`,
          );
        }
      }
      await settle(before, after, outcome, where);
      compareState(after, known, `after ${where}`, disagree);
      return after;
    }

    async function act(step: Step, outcome: StepOutcome, after: Simulation, where: string): Promise<string> {
      const fifo = (k: string): string => {
        const r = known.get(k);
        if (r?.id === undefined) throw disagree(`${where}: ${k} is not an agent of this run`);
        return path.join(dir, r.id);
      };
      const marks = { tree: out.lines.length, host: host.feed.lines.length };
      /** The feed `k` speaks on: the tree's output, or the helper's for what entered from the host. */
      const feedOf = (k: string): [Feed, number] =>
        known.get(k)?.ownMount === false ? [host.feed, marks.host] : [out, marks.tree];
      const reply = (k: string, pattern: RegExp, what: string): Promise<string> => {
        const [feed, mark] = feedOf(k);
        return feed.next(
          (l) =>
            pattern
              .exec(l)
              ?.slice(1)
              .find((x) => x !== undefined),
          mark,
          5000,
          `${where}: ${what}`,
        );
      };
      const ready = (k: string, id: string, what: string): Promise<true> => {
        const [feed, mark] = feedOf(k);
        return feed.next((l) => (l.startsWith(`ready ${id} `) ? true : undefined), mark, 5000, `${where}: ${what}`);
      };
      switch (step.op) {
        case 'fork': {
          const actor = known.get(keyOf(step.process));
          const child = `x${children++}`;
          if (actor?.id === undefined || !tell(fifo(keyOf(step.process)), `fork ${child}`)) return 'unreachable';
          const k = keyOf(step.process);
          const answer = await reply(
            k,
            new RegExp(`^(?:forked ${actor.id} ${child} (\\d+)|forkfail ${actor.id} ${child} (\\w+))$`),
            'its fork',
          );
          if (!/^\d+$/.test(answer)) return answer;
          await ready(k, child, 'the child');
          const created = outcome.created;
          const hostPid = childHostPid(actor, Number(answer), known);
          const nspid = hostPid === undefined ? undefined : nspidOf(hostPid);
          if (created === undefined || hostPid === undefined || nspid === undefined)
            throw disagree(`${where}: the child is not to be found`);
          const real = nspid.slice(1).join(' ');
          const expected = Object.values(created.pids).join(' ');
          if (real !== expected) throw disagree(`${where}: the child's PIDs are ${real}, the model says ${expected}`);
          known.set(key(created.node, created.process), {
            id: child,
            hostPid,
            nspid,
            ownMount: actor.ownMount,
            ...(actor.pipe === undefined ? {} : { pipe: actor.pipe }),
            watchedAt: await watch(host, hostPid),
          });
          return 'ok';
        }
        case 'exit':
          return tell(fifo(keyOf(step.process)), `exit ${step.code ?? 0}`) ? 'ok' : 'unreachable';
        case 'exec': {
          const id = known.get(keyOf(step.process))?.id ?? '';
          if (!tell(fifo(keyOf(step.process)), 'exec')) return 'unreachable';
          await ready(keyOf(step.process), id, 'the exec');
          return 'ok';
        }
        case 'setsid':
        case 'subreaper': {
          const id = known.get(keyOf(step.process))?.id ?? '';
          if (!tell(fifo(keyOf(step.process)), step.op)) return 'unreachable';
          return reply(keyOf(step.process), new RegExp(`^${step.op} ${id} (\\w+)$`), `its ${step.op}`);
        }
        case 'kill': {
          const sig = signalNumber(step.signal);
          if (step.from === 'host') {
            // pidns-tree signals what it started (through its pidfds); the helper the rest.
            const k = keyOf(String(step.target));
            const target = known.get(k);
            const kind = after.tree.processes.find((p) => key(p.node, p.process) === k)?.kind;
            if (target !== undefined && (kind === 'forked' || kind === 'entered')) {
              return host.request(
                `signal ${target.hostPid} ${sig}`,
                (l) => new RegExp(`^signal ${target.hostPid} (\\w+)$`).exec(l)?.[1],
              );
            }
            if (sig === 0) {
              // kill(2)'s existence check (a zombie exists too): the API refuses 0 as a signal.
              const hostPid = tree?.pids(String(step.target))['host'];
              try {
                if (hostPid === undefined) return 'ESRCH';
                process.kill(hostPid, 0);
                return 'ok';
              } catch {
                return 'ESRCH';
              }
            }
            return tree?.kill(String(step.target), sig) === true ? 'ok' : 'ESRCH';
          }
          const sender = known.get(keyOf(step.from));
          if (sender === undefined) return 'unreachable';
          let pid: number;
          if (typeof step.target === 'number') pid = step.target;
          else {
            // By path: its PID in the sender's namespace, if it has one there.
            const k = keyOf(step.target);
            const targetNode = k.slice(0, k.lastIndexOf(':'));
            const senderNode = keyOf(step.from).slice(0, keyOf(step.from).lastIndexOf(':'));
            const target = known.get(k);
            if (target === undefined) return 'unreachable';
            if (!within(targetNode, senderNode)) return 'ESRCH';
            pid = target.nspid[levels(senderNode).length] ?? -1;
          }
          if (!tell(fifo(keyOf(step.from)), `kill ${pid} ${sig}`)) return 'unreachable';
          // A signal that ends the sender itself (its own group, -1), or what follows at once
          // (its init stopping), can act before it answers: then it died, and kill succeeded.
          const died = host.feed.next(
            (l) => (l === `dead ${sender.hostPid}` ? 'ok' : undefined),
            sender.watchedAt,
            5000,
            `${where}: its kill`,
          );
          return Promise.any([reply(keyOf(step.from), new RegExp(`^kill ${sender.id} (\\w+)$`), 'its kill'), died]);
        }
        case 'stop':
          return tree?.kill(step.node, 'SIGTERM') === true ? 'ok' : 'ESRCH';
        case 'enter': {
          const child = `x${children++}`;
          const hmark = host.feed.lines.length;
          host.send(`enter ${step.node} ${child} ${dir}`);
          const answer = await host.feed.next(
            (l) =>
              new RegExp(`^(?:entered ${child} (\\d+)|enterfail ${child} (\\w+))$`)
                .exec(l)
                ?.slice(1)
                .find((x) => x !== undefined),
            hmark,
            5000,
            `${where}: the host helper's enter`,
          );
          if (!/^\d+$/.test(answer)) return answer;
          await host.feed.next(
            (l) => (l.startsWith(`ready ${child} `) ? true : undefined),
            hmark,
            5000,
            `${where}: the entered child`,
          );
          const hostPid = Number(answer);
          const nspid = nspidOf(hostPid);
          const created = outcome.created;
          if (created === undefined || nspid === undefined)
            throw disagree(`${where}: the entered process is not to be found`);
          const real = nspid.slice(1).join(' ');
          const expected = Object.values(created.pids).join(' ');
          if (real !== expected)
            throw disagree(`${where}: the entered process's PIDs are ${real}, the model says ${expected}`);
          known.set(key(created.node, created.process), {
            id: child,
            hostPid,
            nspid,
            ownMount: false,
            watchedAt: await watch(host, hostPid),
          });
          return 'ok';
        }
      }
    }

    /** Waits until the kernel has done what the model says follows from the step. */
    async function settle(
      prev: Simulation,
      next: Simulation,
      outcome: Pick<StepOutcome, 'events' | 'racingReaps'>,
      where: string,
      startup = false,
    ): Promise<void> {
      const timeout = 5000 + (next.tree.clockMs - prev.tree.clockMs);
      const alive = (st: string | undefined): boolean => st === 'running' || st === 'stopped';
      for (const p of next.tree.processes) {
        const found = prev.tree.processes.find((q) => q.node === p.node && q.process === p.process)?.state;
        const was = startup ? 'running' : (found ?? 'running');
        const r = known.get(key(p.node, p.process));
        if (r === undefined) continue;
        if (alive(was) && !alive(p.state)) {
          await host.feed
            .next(
              (l) => (l === `dead ${r.hostPid}` ? true : undefined),
              r.watchedAt,
              timeout,
              `${where}: ${p.node}:${p.process} to end, as the model says`,
            )
            .catch((e: Error) => {
              throw disagree(e.message);
            });
        }
        const reapedBefore = prev.tree.processes.find((q) => q.node === p.node && q.process === p.process)?.reapedBy;
        // The helper reaps what entered through it (pidns-tree reaps its root init: `end` says).
        if (p.kind === 'entered' && p.reapedBy === 'host' && reapedBefore !== 'host') {
          await host.feed
            .next(
              (l) => (l === `reaped ${r.hostPid}` ? true : undefined),
              r.watchedAt,
              timeout,
              `${where}: ${p.node}:${p.process} to be reaped by the host`,
            )
            .catch((e: Error) => {
              throw disagree(e.message);
            });
        }
      }
      // A zombie the model says its parent reaps: no event says when (its exit event may wait
      // for its pipe), and the kernel tells nobody but the parent. /proc is looked at until it
      // is gone (every 2 ms, up to the deadline).
      for (const p of next.tree.processes) {
        const r = known.get(key(p.node, p.process));
        if (r === undefined || p.state !== 'gone') continue;
        const deadline = Date.now() + timeout;
        while (stateOf(r).state === 'zombie' && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 2));
      }
      await toldExits(prev, next, where, timeout);
      const racing = racingReapKeys(next, outcome.racingReaps ?? []);
      for (const e of outcome.events) {
        if (e.event === 'zombies' || e.event === 'start') continue;
        const describe = JSON.stringify(e);
        // A reap the model says may not happen: the init's own exit (which comes after every
        // reap it reports) settles it either way.
        const orInitExit = e.event === 'reap' && racing.has(`${e.node} ${e.pid}`);
        await eventFeed
          .next(
            (l) => {
              const real = JSON.parse(l) as TreeEvent;
              const initEnded = orInitExit && real.event === 'exit' && real.node === e.node && real.process === 'init';
              return sameEvent(real, e) || initEnded ? true : undefined;
            },
            0,
            timeout,
            `${where}: the event ${describe} the model predicts`,
          )
          .catch((err: Error) => {
            throw disagree(err.message);
          });
      }
    }

    /**
     * Exits our inits told the host in this step that no event shows yet: an init reports an
     * exit right after it reaps (waitpid, then the message), but the host holds it until the
     * process's output pipe is closed, and forks of the process may hold it open. Seeing the
     * zombie gone proves the reap, not the message: an init SIGKILLed in that instant (the next
     * step) loses it, and the host then reports a SIGKILL with the namespace. So a running
     * holder of the pipe writes a line: the same init relays it, and only after the exit (it
     * reads pipes in a later turn of its loop than the reap, and its messages keep their
     * order), so once the line is out the host has the exit.
     */
    async function toldExits(prev: Simulation, next: Simulation, where: string, timeout: number): Promise<void> {
      const ourInits = new Set(next.tree.processes.filter((p) => p.kind === 'init').map((p) => key(p.node, 'init')));
      const reported = new Set(
        next.events.filter((e): e is ExitEvent => e.event === 'exit').map((e) => key(e.node, e.process)),
      );
      for (const p of next.tree.processes) {
        const k = key(p.node, p.process);
        const was = prev.tree.processes.find((q) => q.node === p.node && q.process === p.process)?.reapedBy;
        if (p.reapedBy === null || p.reapedBy === was || !ourInits.has(keyOf(p.reapedBy)) || reported.has(k)) continue;
        const holder = [...known.entries()].find(
          ([hk, r]) =>
            r.pipe === k &&
            r.id !== undefined &&
            next.tree.processes.some((q) => key(q.node, q.process) === hk && q.state === 'running'),
        )?.[1];
        // None running (all stopped): nothing can speak through the pipe; the exit stays unproven.
        if (holder?.id === undefined || !tell(path.join(dir, holder.id), `echo e${echoes}`)) continue;
        const line = `echo ${holder.id} e${echoes++}`;
        await out
          .next((l) => (l === line ? true : undefined), 0, timeout, `${where}: ${k}'s exit to reach the host`)
          .catch((e: Error) => {
            throw disagree(e.message);
          });
      }
    }
  } finally {
    if (tree !== undefined) await tree.stop({ graceMs: 0 }).catch(() => undefined);
    await host.request('drop', (l) => (l === 'dropped' ? true : undefined)).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The racing reaps of a step as `node pid` (the reap event's namespace and the PID there). */
function racingReapKeys(sim: Simulation, reaps: readonly { node: string; process: string }[]): Set<string> {
  return new Set(
    reaps.map((r) => {
      const p = sim.tree.processes.find((q) => q.node === r.node && q.process === r.process);
      return `${r.node} ${p?.pids[r.node] ?? -1}`;
    }),
  );
}

function predictedNodes(predicted: readonly { node: string; process: string }[]): string[] {
  return predicted.filter((p) => p.process === 'init').map((p) => p.node);
}

async function watch(host: HostHelper, hostPid: number): Promise<number> {
  const mark = host.feed.lines.length;
  await host.request(`watch ${hostPid}`, (l) =>
    l === `watching ${hostPid}` || l === `dead ${hostPid}` ? true : undefined,
  );
  return mark;
}

/** The host PID of `actor`'s child whose PID in `actor`'s namespace is `pid`. */
function childHostPid(actor: Real, pid: number, known: Map<string, Real>): number | undefined {
  let list: string;
  try {
    list = readFileSync(`/proc/${actor.hostPid}/task/${actor.hostPid}/children`, 'utf8');
  } catch {
    return undefined;
  }
  const taken = new Set([...known.values()].map((r) => r.hostPid));
  return list
    .trim()
    .split(/\s+/)
    .map(Number)
    .find((h) => !taken.has(h) && nspidOf(h)?.at(-1) === pid);
}

function sameEvent(real: TreeEvent, model: TreeEvent): boolean {
  if (real.event !== model.event) return false;
  switch (model.event) {
    case 'exit': {
      const r = real as ExitEvent;
      return r.node === model.node && r.process === model.process;
    }
    case 'reap': {
      const r = real as ReapEvent;
      return r.node === model.node && r.pid === model.pid;
    }
    case 'end':
      return true;
    default:
      return false;
  }
}

type Disagree = (message: string) => Disagreement;

function compareState(sim: Simulation, known: Map<string, Real>, when: string, disagree: Disagree): void {
  const byHost = new Map([...known.entries()].map(([k, r]) => [r.hostPid, { k, r }]));
  for (const p of sim.tree.processes) {
    const r = known.get(key(p.node, p.process));
    if (r === undefined) {
      if (p.state === 'gone') continue;
      throw disagree(`${when}: the model has ${p.node}:${p.process} (${p.state}), the run does not`);
    }
    const real = stateOf(r);
    const modelState = p.state === 'exiting' ? 'running' : p.state;
    if (real.state !== modelState) {
      throw disagree(`${when}: ${p.node}:${p.process} is ${real.state}, the model says ${modelState}`);
    }
    if (real.pgid !== undefined && real.sid !== undefined) {
      // Groups and sessions by their leader, as the process's own namespace numbers them.
      const level = levels(p.node).length;
      const seen = (hostId: number): number => byHost.get(hostId)?.r.nspid[level] ?? 0;
      if (seen(real.pgid) !== p.pgid || seen(real.sid) !== p.sid) {
        throw disagree(
          `${when}: ${p.node}:${p.process} has process group ${seen(real.pgid)} and session ${seen(real.sid)}, the model says ${p.pgid} and ${p.sid}`,
        );
      }
    }
  }
  for (const ns of sim.tree.namespaces) {
    if (ns.proc.pids === null) continue;
    const looker = [...known.entries()].find(
      ([k, r]) =>
        k.slice(0, k.lastIndexOf(':')) === ns.node &&
        r.ownMount &&
        r.id !== undefined &&
        stateOf(r).state === 'running',
    )?.[1];
    if (looker === undefined) continue;
    let listed: number[];
    try {
      listed = readdirSync(`/proc/${looker.hostPid}/root/proc`)
        .filter((e) => /^\d+$/.test(e))
        .map(Number)
        .sort((a, b) => a - b);
    } catch {
      continue;
    }
    if (listed.join(' ') !== ns.proc.pids.join(' ')) {
      throw disagree(
        `${when}: /proc in ${ns.node} lists ${listed.join(' ')}, the model says ${ns.proc.pids.join(' ')}`,
      );
    }
  }
}

/** Every exit, reap and zombie count of the run against the model's, and the end code. */
function compareEvents(sim: Simulation, real: TreeEvent[], disagree: Disagree): void {
  const errors = real.filter((e) => e.event === 'error');
  if (errors.length > 0) throw disagree(`the run reported errors: ${JSON.stringify(errors)}`);
  // Exits that race on a real run (first failures, stop deadlines): any of the model's ways.
  const racing = new Map<string, string[]>();
  for (const s of sim.steps) {
    for (const r of s.racing ?? [])
      racing.set(
        key(r.node, r.process),
        r.exits.map((e) => `${e.code} ${e.signal}`),
      );
  }
  const exits = (events: readonly TreeEvent[]) =>
    events.filter(ofKind('exit')).map((e) => ({ k: key(e.node, e.process), code: e.code, signal: e.signal }));
  const modelExits = exits(sim.events);
  for (const e of exits(real)) {
    const i = modelExits.findIndex(
      (m) =>
        m.k === e.k &&
        ((m.signal === e.signal && m.code === e.code) || (racing.get(m.k) ?? []).includes(`${e.code} ${e.signal}`)),
    );
    if (i < 0) {
      const m = modelExits.find((x) => x.k === e.k);
      throw disagree(
        `${e.k} exited ${e.code} (${e.signal ?? 'no signal'}); the model says ${m === undefined ? 'it does not exit' : `${m.code} (${m.signal ?? 'no signal'})`}`,
      );
    }
    modelExits.splice(i, 1);
  }
  if (modelExits.length > 0)
    throw disagree(`the model has exits the run did not report: ${JSON.stringify(modelExits)}`);
  const reaps = (events: readonly TreeEvent[]) =>
    events
      .filter(ofKind('reap'))
      .map((e) => {
        const { host: _host, ...pids } = e.pids ?? {};
        return `${e.node} ${e.pid} ${JSON.stringify(pids)} ${e.code} ${e.signal}`;
      })
      .sort();
  const realReaps = reaps(real);
  // Reaps that race with their init's end (racingReaps): a run may not have them.
  const mayMiss = new Set(sim.steps.flatMap((s) => [...racingReapKeys(sim, s.racingReaps ?? [])]));
  const seen = new Set(realReaps.map((r) => r.split(' ').slice(0, 2).join(' ')));
  const modelReaps = reaps(sim.events).filter((r) => {
    const k = r.split(' ').slice(0, 2).join(' ');
    return !mayMiss.has(k) || seen.has(k);
  });
  if (realReaps.join('\n') !== modelReaps.join('\n')) {
    throw disagree(`reaps differ: the run has ${JSON.stringify(realReaps)}, the model ${JSON.stringify(modelReaps)}`);
  }
  // The collector counts zombies every 200 ms, so a real event can catch a moment inside a
  // step (a process dying in a cascade). States at step boundaries are compared exactly through
  // /proc after every step; here every zombie an event names must be a process of that
  // namespace (not its PID 1) that did end.
  for (const e of real.filter((x): x is ZombiesEvent => x.event === 'zombies')) {
    const ended = sim.tree.processes
      .filter((p) => p.node === e.node && p.process !== 'init' && p.exit !== null)
      .map((p) => p.pids[e.node]);
    const strange = e.pids.filter((pid) => !ended.includes(pid));
    if (strange.length > 0) {
      throw disagree(`${e.node} had zombies ${e.pids.join(' ')}; in the model, ${strange.join(' ')} never ended there`);
    }
  }
  const end = real.find((e) => e.event === 'end');
  if (end?.event !== 'end' || !(sim.endCodes ?? []).includes(end.code)) {
    throw disagree(
      `the tree ended with ${end?.event === 'end' ? end.code : 'nothing'}; the model says ${JSON.stringify(sim.endCodes)}`,
    );
  }
}
