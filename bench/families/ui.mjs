// The live page of `pidns-tree ui` (issue 14) in headless Chromium: a detached tree of 1,032
// processes over 32 levels, one of which makes 1,000 orphans a second for root's init to reap
// (bench/ui/orphan-pump.c), so that the page receives about 1,000 events a second throughout.
// Per round (the tree, its ui server and the browser are started for the round and stopped
// after it, so that the storm runs only while this family is measured), a browser context loads
// the page: the time from navigation to the diagram painted (target 500 ms), the render alone
// (from the snapshot's arrival), then for 5 s under the events the longest frame (Chromium's
// Long Animation Frames timeline, and the gaps between animation frames; target: none over
// 50 ms), and the events the page applied per second.
// Baseline: `pidns-tree ps ID`, what one would run instead to see the tree.
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

import { chromium } from 'playwright-core';

import { bigTreeSpec } from '../lib/big-tree.mjs';
import { TIME } from '../lib/metrics.mjs';

const WINDOW_MS = 5000;
const RATE = 1000;

function bigSpec(pump) {
  const spec = bigTreeSpec();
  // 32 inits and 1,000 processes: the pump is one of root's 31.
  spec.processes[0] = { name: 'pump', command: [pump, String(RATE)] };
  return spec;
}

// Installed before the page's own scripts: every long animation frame, and the animation
// frames' own rhythm (a gap between two is a frame the page could not paint in time). It also
// tells the benchmark when the page has painted its diagram (the page's own record,
// pidnsTreePerf.paintedAt, is set) through a binding, where polling with waitForFunction would
// run Playwright's own script in the page while the page renders, and be counted in its time.
const OBSERVER = `(() => {
  let perf;
  Object.defineProperty(globalThis, 'pidnsTreePerf', {
    configurable: true,
    get: () => perf,
    set: (record) => {
      perf = record;
      let painted;
      Object.defineProperty(record, 'paintedAt', {
        configurable: true,
        enumerable: true,
        get: () => painted,
        set: (value) => {
          painted = value;
          globalThis.__pidnsTreePainted?.();
        },
      });
    },
  });
  // long: in the window under the events; loading: the longest before it (the page's load and
  // first drawing).
  const frames = { long: [], loading: 0, maxGap: 0, last: 0, from: 0 };
  globalThis.__frames = frames;
  const take = (list) => {
    for (const e of list.getEntries()) {
      if (frames.from > 0 && e.startTime >= frames.from) frames.long.push(e.duration);
      else frames.loading = Math.max(frames.loading, e.duration);
    }
  };
  try {
    new PerformanceObserver(take).observe({ type: 'long-animation-frame', buffered: true });
  } catch {
    new PerformanceObserver(take).observe({ type: 'longtask', buffered: true });
  }
  const tick = (t) => {
    // A gap counts for its part in the window: what came before the window is the load's.
    const gap = frames.from > 0 && t >= frames.from ? t - Math.max(frames.last, frames.from) : 0;
    if (frames.last > 0 && gap > frames.maxGap) {
      frames.maxGap = gap;
      frames.maxGapAt = t - frames.from;
    }
    frames.last = t;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();`;

export default {
  name: 'ui',
  title: 'The live page (pidns-tree ui)',
  async prepare(ctx) {
    // The browser the tests use, with their flags (__test__/helpers/browser.ts, built by
    // `npm run build`); loaded here, so that the other families run without the built tests.
    const { browserPath: CHROMIUM, CHROMIUM_ARGS } = await import('../../dist/__test__/helpers/browser.js');
    if (CHROMIUM === undefined) throw new Error('no chromium: apt-get install chromium (scripts/prepare-test-host.sh)');
    const pump = path.join(ctx.tmp, 'orphan-pump');
    execFileSync('gcc', ['-O2', '-Wall', '-o', pump, path.join(ctx.root, 'bench', 'ui', 'orphan-pump.c')]);
    const file = ctx.writeSpec('ui-big', bigSpec(pump));
    // The tree, its storm, the ui server and the browser run only while this family is measured
    // (enter/leave, each round): the storm would otherwise take half a core from every other
    // family. A new tree each round, with its own name.
    let id;
    let ui;
    let url;
    let browser;
    let rounds = 0;
    // Every tree started and not yet stopped: a round whose teardown failed halfway still has
    // its tree stopped at the end (and said), not left to storm under the families after it.
    const started = new Set();
    const stopTree = (tree) => {
      try {
        execFileSync(process.execPath, [ctx.cli, 'stop', tree, '--grace-ms', '2000'], { stdio: 'ignore' });
        started.delete(tree);
      } catch (error) {
        ctx.log(`ui: stopping tree ${tree}: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    const running = (child) => child !== undefined && child.exitCode === null && child.signalCode === null;
    ctx.onCleanup(() => {
      if (running(ui)) ui.kill('SIGTERM');
      for (const tree of [...started]) stopTree(tree);
    });
    const enter = async () => {
      id = `bench-${process.pid}-ui-${rounds++}`;
      started.add(id);
      await ctx.command([process.execPath, ctx.cli, 'spawn', '--detach', '--name', id, file]);
      ui = spawn(process.execPath, [ctx.cli, 'ui', id], { stdio: ['ignore', 'pipe', 'inherit'] });
      const server = ui;
      url = await new Promise((resolve, reject) => {
        const lines = readline.createInterface({ input: server.stdout });
        lines.once('line', resolve);
        server.once('exit', (code) => reject(new Error(`pidns-tree ui exited ${code}`)));
      });
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      // The browser's own first start (its profile, its GPU and network processes) is not the
      // page's: a user's browser is already running. One request first, which the server refuses
      // (no token: 401), so that the page's own path is not warmed.
      const warm = await browser.newContext();
      const refused = await (await warm.newPage()).goto(new URL('/', url).href);
      if (refused?.status() !== 401) throw new Error(`a request without the token was answered ${refused?.status()}`);
      await warm.close();
    };
    const leave = async () => {
      // Each step whatever the one before did: the storm must not outlive the round.
      try {
        await browser?.close();
      } finally {
        browser = undefined;
        const server = ui;
        ui = undefined;
        if (running(server)) {
          await new Promise((resolve) => {
            server.once('exit', resolve);
            server.kill('SIGTERM');
          });
        }
        if (id !== undefined && started.has(id)) stopTree(id);
        id = undefined;
      }
    };

    const page = async () => {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      try {
        const p = await context.newPage();
        const errors = [];
        p.on('pageerror', (e) => errors.push(e.message));
        let painted;
        const paintedNow = new Promise((resolve) => (painted = resolve));
        await p.exposeBinding('__pidnsTreePainted', () => painted());
        await p.addInitScript(OBSERVER);
        await p.goto(url);
        await Promise.race([
          paintedNow,
          new Promise((resolve, reject) =>
            setTimeout(() => reject(new Error('no diagram painted in 60 s')), 60_000).unref(),
          ),
        ]);
        const first = await p.evaluate(() => ({ ...globalThis.pidnsTreePerf }));
        if (first.rows < 1032) throw new Error(`the diagram has ${first.rows} rows, not the 1,032 processes`);
        await p.evaluate(() => {
          globalThis.__frames.from = performance.now();
          globalThis.__frames.long.length = 0;
          globalThis.__frames.maxGap = 0;
          globalThis.__eventsFrom = globalThis.pidnsTreePerf.events ?? 0;
        });
        await p.waitForTimeout(WINDOW_MS);
        const storm = await p.evaluate(() => ({
          long: [...globalThis.__frames.long],
          loading: globalThis.__frames.loading,
          maxGap: globalThis.__frames.maxGap,
          maxGapAt: globalThis.__frames.maxGapAt ?? 0,
          events: (globalThis.pidnsTreePerf.events ?? 0) - globalThis.__eventsFrom,
        }));
        if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);
        if (storm.events < RATE * (WINDOW_MS / 1000) * 0.5) {
          throw new Error(`only ${storm.events} events reached the page in ${WINDOW_MS} ms`);
        }
        return {
          ms: first.paintedAt,
          openMs: first.openAt,
          answerMs: first.messageAt - first.openAt,
          renderMs: first.paintedAt - first.snapshotAt,
          loadFrameMs: storm.loading,
          maxFrameMs: Math.max(storm.maxGap, ...storm.long),
          longFrames: storm.long.length,
          maxGapAtMs: storm.maxGapAt,
          eventsPerSec: storm.events / (WINDOW_MS / 1000),
        };
      } finally {
        await context.close();
      }
    };

    return {
      enter,
      leave,
      groups: [
        {
          id: 'live-1032',
          title: 'the live page of a tree of 1,032 processes over 32 levels, under 1,000 reaped orphans a second',
          note: 'ms: from navigation to the diagram painted, in three parts: the page loaded and its script started on the tree; the snapshot arrived (the server follows the tree it was started for and puts its picture in the page: then 0; else it comes first on the event stream); render: from the snapshot to the diagram painted. Longest frame while loading: the longest Long Animation Frame until then. Longest frame: the longest Long Animation Frame, or gap between animation frames, in 5 s under the events; events/s: what the page applied.',
          baseline: 'ps-cli',
          metrics: [
            { ...TIME, label: 'to the diagram on screen' },
            { key: 'openMs', label: 'page up, script on the tree', unit: 'ms' },
            { key: 'answerMs', label: 'snapshot arrives', unit: 'ms' },
            { key: 'renderMs', label: 'render', unit: 'ms' },
            { key: 'loadFrameMs', label: 'longest frame while loading', unit: 'ms' },
            { key: 'maxFrameMs', label: 'longest frame', unit: 'ms' },
            { key: 'longFrames', label: 'frames over 50 ms' },
            { key: 'eventsPerSec', label: 'events/s on the page' },
          ],
          contenders: [
            {
              id: 'ps-cli',
              label: 'pidns-tree ps ID (text, cold CLI)',
              run: () => ctx.command([process.execPath, ctx.cli, 'ps', id]),
            },
            { id: 'page', label: 'pidns-tree ui: the live page in Chromium', run: page },
          ],
          targets: [
            { contender: 'page', atMost: 500 },
            { contender: 'page', metric: 'maxFrameMs', atMost: 50 },
          ],
        },
      ],
    };
  },
};
