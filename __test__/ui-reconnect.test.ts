/**
 * The live page's connection to its server, in a real browser: when the event stream drops the
 * page never shows stale data as live. It says so (an alert), disables the actions, and
 * reconnects by itself from a fresh snapshot when the server is back (a `pidns-tree ui` started
 * again with the same token: PIDNS_TREE_UI_TOKEN); a server that stays away is said to be gone.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';

import test from 'ava';

import { NO_BROWSER, browserPath, openPage } from './helpers/browser.js';
import { runCli } from './helpers/cli.js';
import { detachTree, psJson, uniqueName } from './helpers/live.js';
import { sleeper } from './helpers/specs.js';
import { startUi, type RunningUi } from './helpers/ui.js';
import { describeExit } from '../src/render/words.js';

const spec = {
  name: 'root',
  init: { stopTimeout: 1 },
  processes: [sleeper('web'), sleeper('cache')],
  children: [{ name: 'mid', processes: [sleeper('worker')] }],
};

/**
 * Kills the server (SIGKILL: its sockets close at once, as when it crashes; a SIGTERM'd one ends
 * its streams whole first, see ui-server.test.ts).
 */
async function kill(ui: RunningUi): Promise<void> {
  const exited = once(ui.child, 'exit');
  ui.child.kill('SIGKILL');
  await exited;
}

test.serial(
  'the ui server killed: the page says it is disconnected, disables its actions, then says the server is gone for good',
  async (t) => {
    if (browserPath === undefined) return t.fail(NO_BROWSER);
    const id = uniqueName('ui-lost');
    await detachTree(id, spec, { stopAfter: t });
    const ui = await startUi([id]);
    t.teardown(() => ui.stop());
    const { page } = await openPage(t, ui.url.href);
    await page.waitForSelector('g.row[data-key="root/mid:worker"]');
    const banner = page.locator('#connection');
    t.true(await banner.isHidden(), 'no banner while connected');
    t.false(await page.locator('#stop').isDisabled());

    await kill(ui);
    await banner.waitFor({ state: 'visible' });
    t.is(await banner.getAttribute('role'), 'alert');
    t.regex((await banner.textContent()) ?? '', /^Disconnected: .*may be out of date; reconnecting \(attempt \d\)…$/);
    t.true(await page.locator('#stop').isDisabled(), 'Stop is disabled while disconnected');
    t.regex((await page.locator('#diagram').getAttribute('class')) ?? '', /\bstale\b/);
    // A row chosen now opens no action.
    await page.locator('g.row[data-key="root:web"]').click();
    t.is(await page.locator('dialog[open]').count(), 0, 'no action dialog while disconnected');

    await page
      .locator('#connection', { hasText: 'Disconnected for good: the server is gone' })
      .waitFor({ timeout: 60_000 });
    t.regex((await banner.textContent()) ?? '', /Start pidns-tree ui again and open the address it prints\.$/);
    t.true(await page.locator('#stop').isDisabled());
  },
);

test.serial(
  'the ui server started again with the same token: the page reconnects and resynchronises from the snapshot, nothing twice',
  async (t) => {
    if (browserPath === undefined) return t.fail(NO_BROWSER);
    const id = uniqueName('ui-back');
    await detachTree(id, spec, { stopAfter: t });
    const env = { PIDNS_TREE_UI_TOKEN: randomBytes(32).toString('base64url') };
    const first = await startUi([id], env);
    t.teardown(() => first.stop());
    const { page } = await openPage(t, first.url.href);
    await page.waitForSelector('g.row[data-key="root/mid:worker"]');
    const state = (key: string) => page.locator(`g.row[data-key="${key}"] tspan.state`).textContent();
    t.is(await state('root:web'), 'running');

    await kill(first);
    await page.locator('#connection').waitFor({ state: 'visible' });
    // While the page is away, the tree changes: only a new picture can show it.
    const signalled = await runCli(['kill', id, 'root:web', '-s', 'KILL']);
    t.is(signalled.code, 0, signalled.stderr);
    t.is(await state('root:web'), 'running', 'the page could not know yet');
    const second = await startUi([id, '--port', first.url.port], env);
    t.teardown(() => second.stop());
    t.is(second.url.href, first.url.href, 'the same address: the page’s own');

    await page.locator('#connection').waitFor({ state: 'hidden' });
    const killed = describeExit(137, 'SIGKILL');
    await page.waitForSelector(`g.row[data-key="root:web"] tspan.state:text-is("${killed}")`);
    t.false(await page.locator('#stop').isDisabled(), 'the actions are back');
    t.notRegex((await page.locator('#diagram').getAttribute('class')) ?? '', /\bstale\b/);
    for (const p of (await psJson(id)).processes) {
      const expected = p.exit === null ? p.state : describeExit(p.exit.code, p.exit.signal);
      t.is(await state(`${p.node}:${p.process}`), expected, `${p.node}:${p.process} as ps has it`);
    }
    // An event after the reconnection comes once: one stream, not the browser's retry besides ours.
    t.is((await runCli(['kill', id, 'root:cache', '-s', 'KILL'])).code, 0);
    await page.waitForSelector(`g.row[data-key="root:cache"] tspan.state:text-is("${killed}")`);
    await page.locator('#events li', { hasText: 'root:cache' }).first().waitFor();
    t.is(await page.locator('#events li', { hasText: 'root:cache' }).count(), 1);
  },
);
