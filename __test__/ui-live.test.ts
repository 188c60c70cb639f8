/**
 * `pidns-tree ui` in a real browser (headless Chromium): the live page of a detached tree of
 * three levels shows every namespace and every process with its PID at every level, as `ps
 * --json` has them, without a console error; a SIGKILL to the middle init, sent from the page and
 * confirmed there, shows the cascade, and `ps` agrees. Plain HTTP requests without the token,
 * with a foreign Host or a foreign Origin are refused. Screenshots: dist/artifacts/ui-live*.png.
 */
import test from 'ava';

import { NO_BROWSER, browserPath, openPage, rowPids, screenshot } from './helpers/browser.js';
import { detachTree, psJson } from './helpers/live.js';
import { sleeper } from './helpers/specs.js';
import { rawRequest, startUi } from './helpers/ui.js';
import { describeExit } from '../src/render/words.js';

const spec = {
  name: 'root',
  init: { stopTimeout: 1 },
  processes: [sleeper('web'), sleeper('cache')],
  children: [
    { name: 'mid', processes: [sleeper('worker')], children: [{ name: 'low', processes: [sleeper('leaf')] }] },
    { name: 'side', processes: [sleeper('other')] },
  ],
};

test.serial(
  'the live page shows every namespace and every PID at every level, as ps --json; a SIGKILL to the middle init from the page shows the cascade',
  async (t) => {
    if (browserPath === undefined) return t.fail(NO_BROWSER);
    const id = `ui-live-${process.pid}`;
    await detachTree(id, spec, { stopAfter: t });
    const ui = await startUi([id]);
    t.teardown(() => ui.stop());
    const { page, problems } = await openPage(t, ui.url.href);
    await page.waitForSelector('g.row[data-key="root/mid/low:leaf"]');

    const ps = await psJson(id);
    t.is(new Set(ps.processes.map((p) => p.node)).size, 4);
    for (const node of new Set(ps.processes.map((p) => p.node))) {
      t.is(await page.locator(`g.box[data-path="${node}"]`).count(), 1, `the box of ${node}`);
    }
    for (const p of ps.processes) {
      const row = page.locator(`g.row[data-key="${p.node}:${p.process}"]`);
      t.deepEqual(
        await rowPids(page, `${p.node}:${p.process}`),
        Object.fromEntries(Object.entries(p.pids).map(([k, v]) => [k, String(v)])),
        `${p.node}:${p.process}`,
      );
      t.is(await row.locator('tspan.state').textContent(), 'running');
    }
    t.log(`screenshot: ${await screenshot(page, 'ui-live')}`);

    // The middle init, chosen with the mouse; the signal chosen and confirmed in the dialog.
    await page.locator('g.row[data-key="root/mid:init"]').click();
    await page.locator('dialog select#signal').selectOption('SIGKILL');
    await page.getByRole('button', { name: 'Send…' }).click();
    await page.getByRole('button', { name: 'Send SIGKILL' }).click();
    for (const key of ['root/mid:init', 'root/mid:worker', 'root/mid/low:init', 'root/mid/low:leaf']) {
      await page.waitForSelector(`g.row.t-failed[data-key="${key}"]`);
    }
    const after = await psJson(id);
    for (const p of after.processes) {
      const expected = p.exit === null ? p.state : describeExit(p.exit.code, p.exit.signal);
      const shown = await page.locator(`g.row[data-key="${p.node}:${p.process}"] tspan.state`).textContent();
      t.is(shown, expected, `${p.node}:${p.process}`);
    }
    t.deepEqual(
      after.processes
        .filter((p) => p.exit?.signal === 'SIGKILL')
        .map((p) => `${p.node}:${p.process}`)
        .sort(),
      ['root/mid/low:init', 'root/mid/low:leaf', 'root/mid:init', 'root/mid:worker'],
    );
    t.is(after.processes.filter((p) => p.state === 'running').length, 5);
    await page.locator('#events li').first().waitFor();
    t.log(`screenshot: ${await screenshot(page, 'ui-live-cascade')}`);
    t.deepEqual(problems, []);
  },
);

test.serial('requests without the token, with a foreign Host or a foreign Origin are refused', async (t) => {
  const ui = await startUi(['--playground']);
  t.teardown(() => ui.stop());
  const token = ui.url.searchParams.get('token') ?? '';
  const host = ui.url.host;
  const ok = await rawRequest(ui.url, { path: `/playground?token=${token}`, headers: { host } });
  t.is(ok.status, 200);
  t.regex(String(ok.headers['content-security-policy']), /default-src 'none'/);
  for (const path of ['/', '/playground', '/assets/playground.js', '/api/trees']) {
    t.is((await rawRequest(ui.url, { path, headers: { host } })).status, 401, `${path} without the token`);
    t.is((await rawRequest(ui.url, { path: `${path}?token=x${token}`, headers: { host } })).status, 403);
  }
  const withToken = `/playground?token=${token}`;
  t.is((await rawRequest(ui.url, { path: withToken, headers: { host: `rebind.example:${ui.url.port}` } })).status, 421);
  t.is((await rawRequest(ui.url, { path: withToken, headers: { host: 'localhost:1' } })).status, 421);
  t.is((await rawRequest(ui.url, { path: withToken, headers: { host, origin: 'http://evil.example' } })).status, 403);
  const post = await rawRequest(ui.url, {
    path: `/api/trees/x/stop?token=${token}`,
    method: 'POST',
    headers: { host, origin: `http://evil.example`, 'content-type': 'application/json' },
    body: '{}',
  });
  t.is(post.status, 403);
  t.is((await rawRequest(ui.url, { path: withToken, headers: { host, 'sec-fetch-site': 'cross-site' } })).status, 403);
});
