/**
 * The playground in a real browser (headless Chromium), served by `pidns-tree ui --playground`
 * without the native part (PIDNS_TREE_NO_NATIVE=1: as on macOS), and as the static build
 * (dist/playground) from a plain file server: a tree.json with an error shows it at its line
 * (the line `validate --json` gives), a valid one shows the PIDs `plan --json` predicts, a kill
 * step shows the cascade, and every action can be reached with the keyboard alone.
 * Screenshots: dist/artifacts/ui-playground*.png.
 */
import path from 'node:path';

import test from 'ava';

import type { Page } from 'playwright-core';

import { browserPath, NO_BROWSER, openPage, rowPids, screenshot } from './helpers/browser.js';
import { root, runCli } from './helpers/cli.js';
import { serveStatic } from './helpers/static-server.js';
import { startUi } from './helpers/ui.js';

const broken = `{
  "name": "root",
  "processes": [
    { "name": "web", "command": ["sleep", "infinity"] },
    { "name": "bad", "command": "sleep 10" }
  ]
}
`;

const valid = JSON.stringify(
  {
    name: 'root',
    processes: [{ name: 'web', command: ['sleep', 'infinity'] }],
    children: [
      {
        name: 'mid',
        processes: [{ name: 'worker', command: ['sleep', '1'] }],
        children: [{ name: 'low', processes: [{ name: 'leaf', command: ['sleep', '1'] }] }],
      },
      { name: 'side', processes: [{ name: 'other', command: ['true'] }] },
    ],
  },
  null,
  2,
);

async function openPlayground(t: {
  teardown(fn: () => Promise<void> | void): void;
}): Promise<{ page: Page; problems: string[] }> {
  const ui = await startUi(['--playground'], { PIDNS_TREE_NO_NATIVE: '1' });
  t.teardown(() => ui.stop());
  const { page, problems } = await openPage(t, ui.url.href);
  await page.waitForFunction(() => (globalThis as { pidnsTreeReady?: boolean }).pidnsTreeReady === true);
  return { page, problems };
}

test.serial(
  'an error shows at its line; a valid tree shows the predicted PIDs; a kill step shows the cascade',
  async (t) => {
    if (browserPath === undefined) return t.fail(NO_BROWSER);
    const { page, problems } = await openPlayground(t);

    await page.fill('#spec', broken);
    const expected = JSON.parse((await runCli(['validate', '--json', '-'], { input: broken })).stdout) as {
      issues: { line: number; column: number; message: string }[];
    };
    t.is(expected.issues.length, 1);
    const line = expected.issues[0]?.line ?? 0;
    t.is(line, 5);
    await page.waitForSelector('#gutter .ln.error');
    t.deepEqual(await page.locator('#gutter .ln.error').allTextContents(), [String(line)]);
    t.regex(
      (await page.locator('#problems').textContent()) ?? '',
      new RegExp(`line ${line}:${expected.issues[0]?.column}`),
    );
    t.log(`screenshot: ${await screenshot(page, 'ui-playground-error')}`);

    await page.fill('#spec', valid);
    await page.waitForSelector('g.row[data-key="root/mid/low:leaf"]');
    t.is(await page.locator('#gutter .ln.error').count(), 0);
    const plan = JSON.parse((await runCli(['plan', '--json', '-'], { input: valid })).stdout) as {
      predicted: {
        node: string;
        process: string;
        pids: Record<string, number>;
        ranges: Record<string, [number, number]>;
      }[];
    };
    for (const p of plan.predicted) {
      const want = {
        ...Object.fromEntries(Object.entries(p.pids).map(([k, v]) => [k, String(v)])),
        ...Object.fromEntries(Object.entries(p.ranges).map(([k, [a, b]]) => [k, `${a}–${b}`])),
      };
      t.deepEqual(await rowPids(page, `${p.node}:${p.process}`), want, `${p.node}:${p.process}`);
    }
    t.log(`screenshot: ${await screenshot(page, 'ui-playground')}`);

    // SIGKILL from the host to the middle init: it and everything below it die.
    await page.locator('g.row[data-key="root/mid:init"]').click();
    await page.locator('dialog select#sim-signal').selectOption('SIGKILL');
    await page.locator('dialog select#sender').selectOption('host');
    await page.getByRole('button', { name: 'Kill' }).click();
    for (const key of ['root/mid:init', 'root/mid:worker', 'root/mid/low:init', 'root/mid/low:leaf']) {
      t.regex(
        (await page.locator(`g.row[data-key="${key}"] tspan.state`).textContent()) ?? '',
        /killed by SIGKILL \(137\)/,
        key,
      );
    }
    t.is(await page.locator('g.row[data-key="root:web"] tspan.state').textContent(), 'running');
    t.is(await page.locator('g.row[data-key="root/side:other"] tspan.state').textContent(), 'running');
    const events = (await page.locator('#step-info li').allTextContents()).join('\n');
    t.regex(events, /root\/mid\/low:leaf · killed by SIGKILL/);
    t.is(await page.locator('#where').textContent(), 'step 1 of 1');
    await page.getByRole('button', { name: '◀ Back' }).click();
    t.is(await page.locator('g.row[data-key="root/mid:init"] tspan.state').textContent(), '');
    await page.getByRole('button', { name: 'Forward ▶' }).click();
    t.log(`screenshot: ${await screenshot(page, 'ui-playground-cascade')}`);
    t.deepEqual(problems, []);
  },
);

/** The page's focused element, as far as these tests look at it (the test code has no DOM types). */
interface Focus {
  matches(selector: string): boolean;
  getAttribute(name: string): string | null;
  textContent: string | null;
}
interface Doc {
  activeElement: Focus | null;
  querySelector(selector: string): Focus | null;
  querySelectorAll(selector: string): { length: number };
}

/** Whether the focused element matches `selector` (and, if given, has this text). */
function focused(page: Page, selector: string, text?: string): Promise<boolean> {
  return page.evaluate(
    ([sel, txt]) => {
      const e = (globalThis as unknown as { document: Doc }).document.activeElement;
      return e !== null && e.matches(sel) && (txt === null || e.textContent === txt);
    },
    [selector, text ?? null] as const,
  );
}

/** Presses Tab until the focus is on what `selector` (and `text`) match, at most `max` times. */
async function tabTo(page: Page, selector: string, text?: string, max = 60): Promise<void> {
  for (let i = 0; i < max; i += 1) {
    if (await focused(page, selector, text)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${selector} ${text ?? ''}`);
}

const focusedKey = (page: Page) =>
  page.evaluate(
    () => (globalThis as unknown as { document: Doc }).document.activeElement?.getAttribute('data-key') ?? null,
  );

test.serial(
  'keyboard alone reaches every action: examples, editing, problems, processes, fork, exit, kill, steps',
  async (t) => {
    if (browserPath === undefined) return t.fail(NO_BROWSER);
    const { page, problems } = await openPlayground(t);
    await page.locator('body').focus();

    // Open a guided example from the list.
    await tabTo(page, '#example');
    await page.keyboard.press('End');
    await page.locator('#caption', { hasText: 'kill -TERM -1' }).waitFor();
    t.is(await page.locator('#where').textContent(), 'step 0 of 1');
    // Its step, forward, with a button.
    await tabTo(page, '#forward');
    await page.keyboard.press('Enter');
    t.is(await page.locator('#where').textContent(), 'step 1 of 1');
    await tabTo(page, '#first');
    await page.keyboard.press('Enter');

    // Edit: break the tree, reach the problem, fix it.
    await tabTo(page, '#spec');
    await page.keyboard.press('Control+End');
    await page.keyboard.type('x');
    await page.waitForSelector('#problems button');
    await tabTo(page, '#problems button');
    await page.keyboard.press('Enter');
    t.true(await focused(page, '#spec'), 'the problem puts the cursor in the editor');
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Backspace');
    await page.locator('#problems li').first().waitFor({ state: 'detached' });

    // A process with the arrows, then each action of its dialog.
    const act = async (key: string, control: string, button: string, fill?: string) => {
      await tabTo(page, '#diagram g.row[tabindex="0"]');
      await page.keyboard.press('Home');
      for (let i = 0; i < 20; i += 1) {
        if ((await focusedKey(page)) === key) break;
        await page.keyboard.press('ArrowDown');
      }
      t.is(await focusedKey(page), key);
      await page.keyboard.press('Enter');
      await page.waitForSelector('dialog[open]');
      await tabTo(page, control);
      if (fill !== undefined) await page.keyboard.type(fill);
      await tabTo(page, 'dialog button', button);
      await page.keyboard.press('Enter');
      await page.locator('dialog#action').waitFor({ state: 'hidden' });
    };
    await act('root/ns:s1', 'dialog #child', 'Fork', 'kid');
    t.regex((await page.locator('#step-info').textContent()) ?? '', /fork root\/ns:s1 → root\/ns:kid/);
    await act('root/ns:kid', 'dialog #code', 'Exit', '7');
    t.regex((await page.locator('#step-info').textContent()) ?? '', /exit root\/ns:kid with 7/);
    await act('root/ns:s2', 'dialog #sim-signal', 'Kill');
    t.regex((await page.locator('#step-info').textContent()) ?? '', /kill -TERM root\/ns:s2 from host/);
    t.is(await page.locator('#where').textContent(), 'step 3 of 3');
    await tabTo(page, '#back');
    await page.keyboard.press('Enter');
    t.is(await page.locator('#where').textContent(), 'step 2 of 3');
    await tabTo(page, '#clear');
    await page.keyboard.press('Enter');
    t.is(await page.locator('#where').textContent(), 'step 0 of 0');
    t.deepEqual(problems, []);
  },
);

test.serial('the static build (dist/playground) works from a plain file server, offline', async (t) => {
  if (browserPath === undefined) return t.fail(NO_BROWSER);
  const server = await serveStatic(t, path.join(root, 'dist', 'playground'));
  // Offline: anything but this server fails.
  const { page, problems } = await openPage(t, server.url, { offline: true });
  await page.waitForFunction(() => (globalThis as { pidnsTreeReady?: boolean }).pidnsTreeReady === true);
  await page.waitForSelector('g.row[data-key="root/a/b:leaf"]');
  t.false(await page.evaluate(() => (globalThis as unknown as { crossOriginIsolated: boolean }).crossOriginIsolated));
  t.deepEqual([...new Set(server.requests)].sort(), ['/', '/pidns_tree.wasm', '/playground.js', '/ui.css']);
  t.deepEqual(problems, []);
});
