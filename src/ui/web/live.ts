/**
 * The live page: this user's detached trees (or the tree of `spawn --ui`), the chosen one drawn
 * as nested namespace boxes, kept up to date by the server's event stream (applied once per
 * animation frame, whatever the rate), and actions on it, each confirmed first.
 *
 * The stream's connection is the page's own (connect, below), not EventSource's retry: the
 * browser would retry the same address, whose `after=N` asks for events after the first
 * picture's version, and apply them a second time. When the stream drops, the page says so
 * (an assertive live region), disables the actions and marks the picture stale; it asks the
 * server whether it is there and still knows the tree, then opens a new stream without
 * `after`, whose snapshot replaces the whole picture. A server that no longer answers, or
 * no longer takes this page's token, is said to be gone for good.
 */
import type { TreeEvent } from '../../events.js';
import { LiveState, toDiagramProcess, unpackSnapshot, type PackedSnapshot } from '../../render/diagram/live-state.js';
import { pidWords } from '../../render/diagram/layout.js';
import { eventSubject, eventWords } from '../../render/event-words.js';
import { counted } from '../../render/words.js';
import type { TreeSummary } from '../source.js';
import { ActionDialog, field, signalSelect } from './actions-dialog.js';
import { DiagramView } from './diagram-view.js';
import { byId, h, meta } from './dom.js';

type Update =
  | { kind: 'snapshot'; snapshot: PackedSnapshot }
  | { kind: 'events'; events: TreeEvent[] }
  | { kind: 'gone'; message: string };

const token = meta('pidns-tree-token');
const api = (path: string) => `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;

const status = byId('status');
const connection = byId('connection');
const stopButton = byId<HTMLButtonElement>('stop');
const diagram = byId('diagram');
const title = byId('tree-title');
const log = byId('events');
const dialog = new ActionDialog('action');
const view = new DiagramView(diagram, (key) => act(key));

interface Shown {
  id: string;
  source: EventSource | undefined;
  state: LiveState | undefined;
  /** The stream: open, lost (reconnecting), or ended for good (the tree is gone, or the server). */
  link: 'open' | 'lost' | 'final';
  /** Reconnection attempts since the stream was lost. */
  attempts: number;
  retry: number;
}

let current: Shown | undefined;
let queued: TreeEvent[] = [];
let frame = 0;
/**
 * The newest line of the log, when it counts the orphans a namespace's init reaped: a storm of
 * reaps adds to that one line instead of pushing every other event out of the log (and the
 * browser does not lay out and paint a list that moves every frame).
 */
let reapLine: { node: string; count: number; item: HTMLLIElement } | undefined;

/** The page's own record of how long things took (the benchmark reads it). */
const perf: Record<string, number> = {};
(globalThis as unknown as { pidnsTreePerf: Record<string, number> }).pidnsTreePerf = perf;

function say(text: string, tone: 'ok' | 'bad' | '' = ''): void {
  // Only when it changes: under a storm of events, most frames change nothing here.
  if (status.textContent !== text) status.textContent = text;
  if (status.className !== tone) status.className = tone;
}

async function postJson(path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(api(path), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const reply = (await res.json()) as Record<string, unknown> & { error?: { message: string } };
  if (!res.ok) throw new Error(reply.error?.message ?? `HTTP ${res.status}`);
  return reply;
}

/** What /api/trees answers. */
interface TreesReply {
  trees?: TreeSummary[];
  defaultTree?: string | null;
  error?: { message: string };
}

async function loadTrees(): Promise<void> {
  const res = await fetch(api('/api/trees'));
  const reply = (await res.json()) as TreesReply;
  if (!res.ok || reply.trees === undefined) {
    byId('tree-list').replaceChildren(h('li', { class: 'bad' }, reply.error?.message ?? `HTTP ${res.status}`));
    return;
  }
  showTrees(reply.trees, reply.defaultTree ?? null);
}

/** The list of trees; the one the address names (or the default) is opened if none is shown. */
function showTrees(trees: readonly TreeSummary[], defaultTree: string | null): void {
  const list = byId('tree-list');
  list.replaceChildren(
    ...trees.map((t) => {
      const b = h(
        'button',
        { type: 'button', 'data-tree': t.id },
        h('strong', {}, t.id),
        ` ${t.namespaces} namespaces · ${t.mode}`,
      );
      if (current?.id === t.id) b.setAttribute('aria-current', 'true');
      b.addEventListener('click', () => open(t.id));
      return h('li', {}, b);
    }),
  );
  if (trees.length === 0)
    list.replaceChildren(h('li', {}, 'No detached trees: start one with pidns-tree spawn --detach tree.json'));
  const wanted = new URLSearchParams(location.hash.slice(1)).get('tree') ?? defaultTree ?? trees[0]?.id;
  if (current === undefined && wanted !== undefined && trees.some((t) => t.id === wanted)) open(wanted);
}

/** The picture of the tree the server follows, in the page itself (first-picture.ts): null when there is none. */
interface FirstPicture {
  tree: string;
  version: number;
  snapshot: PackedSnapshot;
}

function firstPicture(): FirstPicture | null {
  const text = document.getElementById('first-picture')?.textContent ?? 'null';
  try {
    return JSON.parse(text) as FirstPicture | null;
  } catch {
    return null;
  }
}

/** Shows tree `id`: from `first` at once when the page came with its picture, else from the stream's snapshot. */
function open(id: string, first?: FirstPicture | null): void {
  if (current !== undefined) {
    current.source?.close();
    clearTimeout(current.retry);
  }
  queued = [];
  // Another tree's reaps do not add to this one's count.
  reapLine = undefined;
  history.replaceState(null, '', `#tree=${encodeURIComponent(id)}`);
  for (const b of document.querySelectorAll('#tree-list button')) {
    if (b.getAttribute('data-tree') === id) b.setAttribute('aria-current', 'true');
    else b.removeAttribute('aria-current');
  }
  title.textContent = `tree ${id}`;
  say('connecting…');
  perf['openAt'] ??= performance.now();
  const mine: Shown = { id, source: undefined, state: undefined, link: 'open', attempts: 0, retry: 0 };
  current = mine;
  showLink(mine);
  const known = first?.tree === id ? first : undefined;
  if (known !== undefined) {
    perf['messageAt'] ??= performance.now();
    receive(mine, { kind: 'snapshot', snapshot: known.snapshot });
  }
  connect(mine, known?.version);
}

/**
 * Opens the stream of `mine`'s tree: after version `after` of a picture the page has (the one
 * that came with it), or, without, from a snapshot that replaces whatever the page shows.
 */
function connect(mine: Shown, after?: number): void {
  const query = after === undefined ? '' : `?after=${after}`;
  const source = new EventSource(api(`/api/trees/${encodeURIComponent(mine.id)}/events${query}`));
  mine.source = source;
  const take = (e: MessageEvent<string>) => {
    perf['messageAt'] ??= performance.now();
    receive(mine, JSON.parse(e.data) as Update);
  };
  source.addEventListener('snapshot', take);
  source.addEventListener('events', take);
  source.addEventListener('gone', take);
  source.addEventListener('open', () => {
    if (current !== mine) return;
    mine.link = 'open';
    mine.attempts = 0;
    showLink(mine);
  });
  source.addEventListener('error', () => {
    // Never EventSource's own retry (see the top of this file): this stream is done.
    source.close();
    if (current !== mine || mine.link === 'final') return;
    if (mine.state?.ended != null) {
      mine.link = 'final';
      return;
    }
    lost(mine, 'the connection to the server was lost');
  });
}

/** How long to wait before reconnection attempt n (1, 2, ...): a server that restarts is back soon. */
const RETRY_MS = [500, 1000, 2000, 3000, 4000];

/** The stream is gone: say so, and try again (until the server is known to be gone for good). */
function lost(mine: Shown, why: string): void {
  mine.link = 'lost';
  mine.attempts += 1;
  const delay = RETRY_MS[mine.attempts - 1];
  if (delay === undefined) {
    final(mine, 'the server is gone: it has not answered since the connection was lost');
    return;
  }
  showLink(mine, `Disconnected: ${why}. What you see may be out of date; reconnecting (attempt ${mine.attempts})…`);
  mine.retry = window.setTimeout(() => void reconnect(mine), delay);
}

/** Asks the server whether it is there and still knows the tree; then streams again, from a snapshot. */
async function reconnect(mine: Shown): Promise<void> {
  if (current !== mine) return;
  let res: Response;
  try {
    res = await fetch(api('/api/trees'));
  } catch {
    lost(mine, 'the server does not answer');
    return;
  }
  if (current !== mine) return;
  if (res.status === 401 || res.status === 403) {
    final(mine, 'the server at this address does not take this page’s token (it was restarted)');
    return;
  }
  if (!res.ok) {
    lost(mine, `the server answered HTTP ${res.status}`);
    return;
  }
  let reply: TreesReply;
  try {
    reply = (await res.json()) as TreesReply;
  } catch {
    // An answer cut off (the server going down as it answered): try again, as for no answer.
    if (current === mine) lost(mine, 'the server’s answer was cut off');
    return;
  }
  if (current !== mine) return;
  const trees = reply.trees ?? [];
  if (!trees.some((t) => t.id === mine.id)) {
    final(mine, `tree ${mine.id} is no longer running`, 'tree');
    return;
  }
  connect(mine);
  // The list, from this same answer (not asked for again).
  showTrees(trees, reply.defaultTree ?? null);
}

/** No more reconnecting: the server (or the tree) is gone for good. */
function final(mine: Shown, why: string, what: 'server' | 'tree' = 'server'): void {
  mine.link = 'final';
  mine.source?.close();
  const todo =
    what === 'server'
      ? 'Start pidns-tree ui again and open the address it prints.'
      : 'Choose another tree, or refresh the list.';
  showLink(mine, `Disconnected for good: ${why}. What you see is how it was last seen. ${todo}`);
}

/** The connection's state, visibly and to assistive technology; the actions only while connected. */
function showLink(mine: Shown, message?: string): void {
  if (current !== mine) return;
  const connected = mine.link === 'open';
  if (connected) {
    connection.hidden = true;
    connection.textContent = '';
  } else {
    connection.textContent = message ?? '';
    connection.hidden = false;
    dialog.close();
  }
  stopButton.disabled = !connected;
  diagram.classList.toggle('stale', !connected);
}

function receive(target: NonNullable<typeof current>, u: Update): void {
  if (current !== target) return;
  if (u.kind === 'snapshot') {
    perf['snapshotAt'] ??= performance.now();
    target.state = LiveState.fromSnapshot(unpackSnapshot(u.snapshot));
    queued = [];
    redraw();
    showEnd();
    if (perf['renderedAt'] === undefined) {
      perf['renderedAt'] = performance.now();
      // The next frame's start: the diagram has been laid out and painted once.
      requestAnimationFrame(() => requestAnimationFrame(() => (perf['paintedAt'] ??= performance.now())));
    }
    return;
  }
  if (u.kind === 'gone') {
    // Said by the server: nothing to reconnect to.
    target.link = 'final';
    stopButton.disabled = true;
    say(`the tree is gone: ${u.message}`, 'bad');
    return;
  }
  queued.push(...u.events);
  if (frame === 0) frame = requestAnimationFrame(flush);
}

function redraw(): void {
  const state = current?.state;
  if (state === undefined) return;
  view.render(state.diagram(`tree ${current?.id ?? ''}`));
  perf['rows'] = view.layout?.lines.length ?? 0;
  showCounts(state);
}

function showCounts(state: LiveState): void {
  const { running, total } = state.counts();
  say(`${running} running of ${total} processes`, 'ok');
}

/** Applies what came since the last frame: a redraw if the shape changed, else patches. */
function flush(): void {
  frame = 0;
  const state = current?.state;
  if (state === undefined) return;
  const events = queued;
  queued = [];
  perf['events'] = (perf['events'] ?? 0) + events.length;
  let reshaped = false;
  const rows = new Set<string>();
  const spaces = new Set<string>();
  for (const e of events) {
    const change = state.apply(e);
    if (change === 'structure' || e.event === 'zombies') reshaped = true;
    else if (e.event === 'exit' || e.event === 'start') rows.add(`${e.node}:${e.process}`);
    else if (e.event === 'reap') spaces.add(e.node);
  }
  if (!reshaped) {
    for (const key of rows) {
      const p = state.process(key);
      if (p !== undefined && !view.patchProcess(toDiagramProcess(p))) reshaped = true;
    }
  }
  if (reshaped) redraw();
  else {
    for (const path of spaces) view.patchNamespace(path, { reaped: state.reaped(path), zombies: state.zombies(path) });
    showCounts(state);
  }
  appendLog(events);
  showEnd();
}

function showEnd(): void {
  const ended = current?.state?.ended;
  if (ended != null) say(`the tree has ended: exit ${ended}`, ended === 0 ? 'ok' : 'bad');
}

const LOG_KEPT = 200;

function describe(e: TreeEvent): string | undefined {
  switch (e.event) {
    case 'start':
    case 'exit':
    case 'reap':
    case 'zombies':
      // spawn's words; no `·` after the subject, as in the line that counts a storm of reaps.
      return `${eventSubject(e)} ${eventWords(e)}`;
    case 'error':
      return `${e.node}: error: ${e.message}`;
    case 'end':
      return `the tree ended: exit ${e.code}`;
    default:
      return undefined;
  }
}

const reapText = (node: string, count: number) => `${node}:init reaped ${counted(count, 'orphan')}`;

function appendLog(events: readonly TreeEvent[]): void {
  // Reaps come in storms: one line per namespace and frame says how many.
  const reaps = new Map<string, { count: number; last: TreeEvent }>();
  const lines: string[] = [];
  for (const e of events) {
    if (e.event === 'reap') reaps.set(e.node, { count: (reaps.get(e.node)?.count ?? 0) + 1, last: e });
    else {
      const text = describe(e);
      if (text !== undefined) lines.push(text);
    }
  }
  const [only] = reaps;
  if (lines.length === 0 && reaps.size === 1 && only !== undefined && reapLine?.item === log.firstElementChild) {
    const [node, batch] = only;
    if (reapLine.node === node) {
      reapLine.count += batch.count;
      reapLine.item.textContent = reapText(node, reapLine.count);
      return;
    }
  }
  let newest: { node: string; count: number } | undefined;
  for (const [node, { count, last }] of reaps) {
    lines.push(count === 1 ? (describe(last) ?? '') : reapText(node, count));
    newest = { node, count };
  }
  if (lines.length === 0) return;
  const newestFirst = lines
    .slice(-50)
    .reverse()
    .map((t) => h('li', {}, t));
  log.prepend(...newestFirst);
  while (log.childElementCount > LOG_KEPT) log.lastElementChild?.remove();
  const top = newestFirst[0];
  reapLine = newest !== undefined && top !== undefined ? { ...newest, item: top } : undefined;
}

/** Click or Enter on a row: what can be done to that process, confirmed before it is done. */
function act(key: string): void {
  const state = current?.state;
  const id = current?.id;
  const p = state?.process(key);
  if (state === undefined || id === undefined || p === undefined || current?.link !== 'open') return;
  const d = toDiagramProcess(p);
  const who = d.role === 'process' ? key : `${d.node}'s PID 1${d.role === 'user-init' ? ' (your command)' : ''}`;
  const about = h('p', {}, `${who}: ${pidWords(d)}`);
  if (p.state === 'exited') {
    dialog.show(who, about, h('p', {}, 'It has exited: there is nothing to signal.'), dialog.buttons());
    return;
  }
  const select = signalSelect('signal');
  const target = { node: d.node, process: d.name };
  const confirm = () => {
    const signal = select.value;
    const consequence =
      d.name === 'init' && (signal === 'SIGKILL' || signal === 'SIGTERM')
        ? signal === 'SIGKILL'
          ? `${d.node} ends: the kernel kills every process in it and in every namespace below it.`
          : `pidns-tree's init stops ${d.node}: SIGTERM to every process, SIGKILL after its stopTimeout.`
        : 'Its default action applies unless it handles the signal.';
    dialog.show(
      `Send ${signal} to ${who}?`,
      h('p', {}, consequence),
      dialog.buttons({
        label: `Send ${signal}`,
        primary: true,
        danger: true,
        run: () => {
          dialog.close();
          postJson(`/api/trees/${encodeURIComponent(id)}/kill`, { ...target, signal })
            .then((r) =>
              say(
                r['sent'] === true ? `${signal} sent to ${who}` : `${who} is not running`,
                r['sent'] === true ? 'ok' : 'bad',
              ),
            )
            .catch((error: unknown) => say(String(error), 'bad'));
        },
      }),
    );
  };
  dialog.show(who, about, field('Signal', select), dialog.buttons({ label: 'Send…', primary: true, run: confirm }));
}

stopButton.addEventListener('click', () => {
  const id = current?.id;
  if (id === undefined || current?.link !== 'open') return;
  dialog.show(
    `Stop tree ${id}?`,
    h('p', {}, 'SIGTERM to every namespace, then SIGKILL to what is left after 10 seconds.'),
    dialog.buttons({
      label: 'Stop the tree',
      primary: true,
      danger: true,
      run: () => {
        dialog.close();
        postJson(`/api/trees/${encodeURIComponent(id)}/stop`, { graceMs: 10_000 })
          .then(() => say(`stopping tree ${id}…`))
          .catch((error: unknown) => say(String(error), 'bad'));
      },
    }),
  );
});
byId('refresh').addEventListener('click', () => void loadTrees());

// The tree the address names (or the one whose picture came with the page) is opened at once.
// The list of trees is asked for after that picture is on screen: its request, its answer and
// its drawing would otherwise share the page's first frame.
const first = firstPicture();
const named = new URLSearchParams(location.hash.slice(1)).get('tree') ?? first?.tree ?? null;
if (named !== null) open(named, first);
const listTrees = () => void loadTrees().catch((error: unknown) => say(String(error), 'bad'));
if (named !== null && first?.tree === named) requestAnimationFrame(() => setTimeout(listTrees, 0));
else listTrees();
