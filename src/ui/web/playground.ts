/**
 * The playground: edit a tree.json (checked as you type by the WebAssembly validator, problems
 * at their line), see the PIDs `spawn` would give every process at every level, and play the
 * simulator: choose a process (click, or arrows and Enter) to fork it, make it exit or send it a
 * signal from a sender you pick; step back and forth; open the README's rules as guided
 * examples. Runs on the model alone: no server needed, no cross-origin isolation.
 */
import examples from 'pidns-tree:examples';

import { PidnsTreeError } from '../../errors.js';
import { loadModelFrom } from '../../model/browser.js';
import type { Model } from '../../model/core.js';
import type { PlannedTree, Simulation, Step } from '../../model/types.js';
import { diagramFromPlan, diagramFromSimulation } from '../../render/diagram/model.js';
import { pidWords } from '../../render/diagram/layout.js';
import { describeEvent, describeStep } from '../../render/model-view.js';
import { ActionDialog, field, signalSelect } from './actions-dialog.js';
import { DiagramView } from './diagram-view.js';
import { byId, h, meta } from './dom.js';
import { Editor } from './editor.js';
import { GUIDES, type Guide } from './guides.js';

const START = 'simulate/tree.json';

const editor = new Editor(byId<HTMLTextAreaElement>('spec'), byId('gutter'), byId('problems'));
const dialog = new ActionDialog('action');
const view = new DiagramView(byId('diagram'), (key) => act(key));
const status = byId('status');
const where = byId('where');
const stepInfo = byId('step-info');
const stepList = byId('steps');
const caption = byId('caption');

let model: Model | undefined;
let steps: Step[] = [];
let cursor = 0;
let guide: Guide | undefined;
let planned: PlannedTree | undefined;
let sim: Simulation | undefined;
let timer = 0;

function say(text: string, tone: 'ok' | 'bad' | '' = ''): void {
  status.textContent = text;
  status.className = tone;
}

/** Everything the text and the steps decide: problems, the diagram, the step's events. */
function update(): void {
  if (model === undefined) return;
  try {
    planned = model.plan(editor.text, 'tree.json');
    editor.show([]);
  } catch (error) {
    if (error instanceof PidnsTreeError && error.issues.length > 0) {
      editor.show(error.issues);
      const n = error.issues.length;
      say(`${n} ${n === 1 ? 'problem' : 'problems'} in tree.json: the diagram is of the last valid tree`, 'bad');
    } else say(String(error), 'bad');
    return;
  }
  try {
    sim = model.simulate(editor.text, steps.slice(0, cursor), 'tree.json', 'the steps');
  } catch (error) {
    sim = undefined;
    say(
      `the steps no longer fit this tree: ${error instanceof Error ? error.message : String(error)} (clear them)`,
      'bad',
    );
  }
  if (cursor === 0 || sim === undefined) {
    view.render(diagramFromPlan(planned, 'predicted: the PIDs spawn gives (a–b: varies between runs)'));
  } else {
    view.render(diagramFromSimulation(sim, planned.nodes, `after step ${cursor} of ${steps.length}`));
  }
  if (sim !== undefined) say(`valid: ${planned.namespaces} namespaces, ${planned.processes} processes`, 'ok');
  showSteps();
}

function showSteps(): void {
  where.textContent = `step ${cursor} of ${steps.length}`;
  byId<HTMLButtonElement>('first').disabled = cursor === 0;
  byId<HTMLButtonElement>('back').disabled = cursor === 0;
  byId<HTMLButtonElement>('forward').disabled = cursor >= steps.length;
  byId<HTMLButtonElement>('last').disabled = cursor >= steps.length;
  byId<HTMLButtonElement>('clear').disabled = steps.length === 0;
  const outcome = cursor > 0 ? sim?.steps[cursor - 1] : undefined;
  stepInfo.replaceChildren(
    ...(outcome === undefined
      ? [h('p', {}, cursor === 0 ? 'The tree as it starts. Choose a process to play a step.' : '')]
      : [
          h('p', { class: outcome.result === 'ok' ? 'ok' : 'bad' }, `[${cursor}] ${describeStep(outcome)}`),
          h('ul', {}, ...outcome.events.map((e) => h('li', {}, describeEvent(e)))),
        ]),
  );
  const g = guide?.steps[cursor - 1];
  caption.textContent =
    guide === undefined
      ? ''
      : cursor === 0
        ? guide.intro
        : g !== undefined && sameStep(g.step, steps[cursor - 1])
          ? g.caption
          : '';
  stepList.replaceChildren(
    ...steps.map((s, i) => {
      const text = sim?.steps[i] !== undefined && i < cursor ? describeStep(sim.steps[i]) : JSON.stringify(s);
      const b = h('button', { type: 'button' }, `${i + 1}. ${text}`);
      if (i + 1 === cursor) b.setAttribute('aria-current', 'step');
      b.addEventListener('click', () => go(i + 1));
      return h('li', {}, b);
    }),
  );
}

function sameStep(a: Step, b: Step | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function go(to: number): void {
  cursor = Math.max(0, Math.min(steps.length, to));
  update();
}

/** A new step after the current one (those that followed it are dropped). */
function play(step: Step): void {
  dialog.close();
  steps = [...steps.slice(0, cursor), step];
  cursor = steps.length;
  update();
  view.focus();
}

/** The path a step names a process by: `node` for a PID 1. */
function pathOf(node: string, name: string, kind: string): string {
  return kind === 'init' || kind === 'user-init' ? node : `${node}:${name}`;
}

function act(key: string): void {
  const current = sim ?? model?.simulate(editor.text, [], 'tree.json');
  const p = current?.tree.processes.find((q) => `${q.node}:${q.process}` === key);
  if (current === undefined || p === undefined) return;
  const path = pathOf(p.node, p.process, p.kind);
  const who = p.kind === 'init' || p.kind === 'user-init' ? `${p.node}'s PID 1` : key;
  const about = h('p', {}, `${who}: ${pidWords(p)} · ${p.state}`);
  if (p.state !== 'running' && p.state !== 'stopped') {
    dialog.show(who, about, h('p', {}, 'It is not running: a step on it would be skipped.'), dialog.buttons());
    return;
  }
  const senders = h(
    'select',
    { id: 'sender' },
    h('option', { value: 'host' }, 'the host (through a pidfd, as pidns-tree kill)'),
  );
  for (const q of current.tree.processes) {
    if (q.state !== 'running') continue;
    const qPath = pathOf(q.node, q.process, q.kind);
    senders.append(h('option', { value: qPath }, qPath === path ? `${qPath} (itself)` : qPath));
  }
  const signal = signalSelect('sim-signal');
  const child = h('input', { id: 'child', type: 'text', placeholder: 'automatic', autocomplete: 'off' });
  const code = h('input', { id: 'code', type: 'number', min: '0', max: '255', value: '0' });
  const ns = p.kind === 'init' || p.kind === 'user-init';
  const killBox = h(
    'fieldset',
    {},
    h('legend', {}, 'Send a signal'),
    field('Signal', signal),
    field('From', senders),
    dialog.buttons({
      label: 'Kill',
      primary: true,
      run: () => play({ op: 'kill', from: senders.value, target: path, signal: signal.value }),
    }),
  );
  const forkBox = h(
    'fieldset',
    {},
    h('legend', {}, ns ? 'Enter from the host and fork' : 'Fork'),
    field("The child's name", child),
    dialog.buttons({
      label: ns ? 'Enter' : 'Fork',
      run: () => {
        const name = child.value.trim();
        play(
          ns
            ? { op: 'enter', node: p.node, ...(name === '' ? {} : { name }) }
            : { op: 'fork', process: path, ...(name === '' ? {} : { child: name }) },
        );
      },
    }),
  );
  const exitBox = ns
    ? h(
        'fieldset',
        {},
        h('legend', {}, 'Stop the namespace'),
        h('p', {}, `SIGTERM from the host to ${p.node}'s PID 1, as pidns-tree kill does.`),
        dialog.buttons({ label: 'Stop', run: () => play({ op: 'stop', node: p.node }) }),
      )
    : h(
        'fieldset',
        {},
        h('legend', {}, 'Exit'),
        field('Exit code', code),
        dialog.buttons({
          label: 'Exit',
          run: () => play({ op: 'exit', process: path, code: Number(code.value) || 0 }),
        }),
      );
  dialog.show(who, about, killBox, forkBox, exitBox);
}

function openExample(name: string): void {
  const text = examples[name];
  if (text === undefined) return;
  guide = GUIDES.find((g) => `rules/${g.file}` === name);
  editor.text = text;
  steps = guide === undefined ? [] : guide.steps.map((g) => g.step);
  cursor = 0;
  update();
}

function fillExamples(): void {
  const select = byId<HTMLSelectElement>('example');
  select.append(h('option', { value: START }, 'a small tree (examples/simulate/tree.json)'));
  for (const g of GUIDES) select.append(h('option', { value: `rules/${g.file}` }, `rule ${g.title}`));
  select.addEventListener('change', () => openExample(select.value));
}

editor.textarea.addEventListener('input', () => {
  guide = undefined;
  caption.textContent = '';
  clearTimeout(timer);
  timer = window.setTimeout(update, 120);
});
byId('first').addEventListener('click', () => go(0));
byId('back').addEventListener('click', () => go(cursor - 1));
byId('forward').addEventListener('click', () => go(cursor + 1));
byId('last').addEventListener('click', () => go(steps.length));
byId('clear').addEventListener('click', () => {
  steps = [];
  cursor = 0;
  update();
});

fillExamples();
loadModelFrom(new URL(meta('pidns-tree-wasm'), location.href))
  .then((m) => {
    model = m;
    openExample(START);
    (globalThis as unknown as { pidnsTreeReady?: boolean }).pidnsTreeReady = true;
  })
  .catch((error: unknown) =>
    say(
      `the model could not be loaded (${String(error)}): serve this directory over HTTP (pidns-tree ui --playground, or any static server); browsers do not fetch from file://`,
      'bad',
    ),
  );
