/**
 * Human output of `plan` and `simulate`: the tree with the PIDs the model gives it (ranges
 * where sibling namespaces race), each step with its result and what followed, the final tree.
 * Drawn with `spawn`'s layout (render/tree-rows.ts), without host PIDs: nothing runs.
 */
import type { StartEvent } from '../events.js';
import type { PlannedTree, PredictedProcess, Simulation, SimulatedEvent, StepOutcome } from '../model/types.js';
import type { PlanNode } from '../spec-types.js';
import { predictedPids } from './diagram/model.js';
import { eventSubject, eventWords } from './event-words.js';
import { drawRows, treeRows } from './tree-rows.js';
import { describeExit, pidChain, shellWords, type Style } from './words.js';

/** `plan`: every init and process with the PIDs `spawn` will give it. */
export function renderPlan(planned: PlannedTree, style: Style, columns = 100): string {
  const find = (node: string, process: string): PredictedProcess | undefined =>
    planned.predicted.find((p) => p.node === node && p.process === process);
  const lines = treeRows(planned.nodes, (node, process) => {
    const p = find(node.path, process);
    if (p === undefined) return { detail: '', command: '' };
    // `pid 2 in root/a · 5–7 in root`: a range where it varies.
    const chain = pidChain(predictedPids(p));
    const user = process === 'init' && p.userInit;
    return {
      detail: process === 'init' ? `${user ? 'your init' : 'init'} ${chain}` : chain,
      command: process !== 'init' || user ? shellWords(p.command) : '',
    };
  });
  return drawRows(lines, style, columns);
}

/** One event of a simulation as a line (as `spawn` says it, without output). */
export function describeEvent(e: SimulatedEvent): string {
  return e.event === 'end' ? `end of the tree, exit ${e.code}` : `${eventSubject(e)} · ${eventWords(e, 'own')}`;
}

/** What a step did, in one line: `fork root:w → root:w.1 (pid 3 in root)`. */
export function describeStep(s: StepOutcome): string {
  const head = ((): string => {
    switch (s.op) {
      case 'fork':
        return `fork ${s.process}`;
      case 'exit':
        return `exit ${s.process} with ${s.code ?? 0}`;
      case 'exec':
        return `exec in ${s.process}${s.command === undefined ? '' : `: ${shellWords(s.command)}`}`;
      case 'setsid':
        return `setsid in ${s.process}`;
      case 'subreaper':
        return `${s.process} becomes a subreaper`;
      case 'kill': {
        const sig = s.signal === 0 || s.signal === '0' ? '0' : String(s.signal ?? 'SIGTERM');
        return `kill -${sig.replace(/^SIG/, '')} ${s.target} from ${s.from}`;
      }
      case 'stop':
        return `stop ${s.node} (SIGTERM to its PID 1 from the host)`;
      case 'enter':
        return `enter ${s.node} from the host and fork`;
    }
  })();
  const created =
    s.created === undefined ? '' : ` → ${s.created.node}:${s.created.process}, ${pidChain(s.created.pids)}`;
  const result =
    s.result === 'ok'
      ? s.signalled !== undefined && s.signalled.length > 0 && s.op === 'kill'
        ? `: reached ${s.signalled.join(', ')}`
        : ''
      : s.result === 'skipped'
        ? `: skipped (${s.message ?? ''})`
        : `: ${s.result}`;
  return `${head}${created}${result}`;
}

/** `simulate`: the tree as started, each step and what followed, the end, the final tree. */
export function renderSimulation(sim: Simulation, nodes: readonly PlanNode[], style: Style, columns = 100): string {
  const out: string[] = [];
  const startOf = (node: string, process: string) =>
    sim.startup.find((e): e is StartEvent => e.event === 'start' && e.node === node && e.process === process);
  const assumed = new Set(sim.assumedPids);
  out.push(
    drawRows(
      treeRows(nodes, (node, process) => {
        const s = startOf(node.path, process);
        if (s === undefined) return { detail: '', command: '' };
        const chain = pidChain(s.pids);
        const mark = assumed.has(`${node.path}:${process}`) ? style.dim(' (one possible order)') : '';
        const ours = process === 'init' && node.init.command === null;
        const label = process !== 'init' ? '' : ours ? 'init ' : 'your init ';
        return { detail: `${label}${chain}${mark}`, command: ours ? '' : shellWords(s.command) };
      }),
      style,
      columns,
    ),
  );
  out.push('');
  for (const e of sim.startup.filter((x) => x.event !== 'start')) out.push(`at the start: ${describeEvent(e)}`);
  sim.steps.forEach((s, i) => {
    const line = `[${i + 1}] ${describeStep(s)}`;
    out.push(s.result === 'ok' ? line : s.result === 'skipped' ? style.dim(line) : style.red(line));
    for (const e of s.events) out.push(`      ${describeEvent(e)}`);
    for (const r of s.racing ?? []) {
      const ways = r.exits.map((e) => describeExit(e.code, e.signal)).join(' or ');
      out.push(style.dim(`      (on a real run ${r.node}:${r.process} may have ${ways}: things race there)`));
    }
    for (const r of s.racingReaps ?? []) {
      out.push(
        style.dim(
          `      (on a real run ${r.node}'s init may end before ${r.node}:${r.process} reaches it: then the kernel reaps it unseen)`,
        ),
      );
    }
  });
  if (sim.steps.length === 0) out.push(style.dim('(no steps)'));
  out.push('');
  out.push(style.bold('the tree after the steps:'));
  const byNode = (path: string) => sim.tree.processes.filter((p) => p.node === path);
  out.push(
    drawRows(
      treeRows(
        nodes,
        (node, process) => {
          const p = byNode(node.path).find((q) => q.process === process);
          if (process === 'init') {
            const ns = sim.tree.namespaces.find((n) => n.node === node.path);
            const proc =
              ns?.proc.pids === null || ns === undefined
                ? "/proc is the host's"
                : `/proc${ns.proc.of === node.path ? '' : ` (of ${ns.proc.of})`}: ${ns.proc.pids.length === 0 ? 'empty' : ns.proc.pids.join(' ')}`;
            return { detail: `init ${p === undefined ? 'none' : stateText(p)} · ${proc}`, command: '' };
          }
          return { detail: p === undefined ? '' : `${stateText(p)}`, command: '' };
        },
        (node) =>
          byNode(node.path)
            .filter((p) => p.kind === 'forked' || p.kind === 'entered')
            .map((p) => p.process),
      ),
      style,
      columns,
    ),
  );
  if (sim.endCodes !== undefined) {
    out.push('');
    out.push(
      `the tree ended: exit ${sim.endCodes.join(' or ')}${sim.endCodes.length > 1 ? ' (failing exits race)' : ''}`,
    );
  }
  return out.join('\n');
}

function stateText(p: Simulation['tree']['processes'][number]): string {
  const pid = Object.values(p.pids).at(-1);
  const exit = p.exit === null ? '' : `, ${describeExit(p.exit.code, p.exit.signal)}`;
  const where = p.state === 'zombie' ? `, zombie of ${p.parent}` : p.state === 'gone' ? '' : '';
  const by = p.state === 'gone' && p.reapedBy !== null ? `, reaped by ${p.reapedBy}` : '';
  return `pid ${pid} ${p.state}${exit}${where}${by}`;
}
