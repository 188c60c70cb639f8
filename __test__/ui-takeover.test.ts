/**
 * The live page comes with its diagram drawn by the server (src/ui/first-picture.ts) and takes
 * that drawing over: in a real browser, the page must not draw it again, and must then patch it,
 * draw the rows scrolled to and move the keyboard through it as if it had drawn it itself. A
 * tree source in memory behind the real server: the events are the test's to send.
 */
import test from 'ava';

import type { TreeEvent } from '../src/events.js';
import { browserPath, NO_BROWSER, openPage, screenshot } from './helpers/browser.js';
import { MemorySource, serve, start } from './helpers/memory-source.js';

const ROWS = 600;

test('the live page takes over the drawing it came with, then patches it, scrolls and moves through it', async (t) => {
  if (browserPath === undefined) return t.fail(NO_BROWSER);
  const source = new MemorySource();
  source.push([
    start('root', 'init', { host: 100, root: 1 }, ['pidns-init']),
    ...Array.from({ length: ROWS }, (_, i) => start('root', `p${i}`, { host: 1000 + i, root: i + 2 }, ['sleep', '1'])),
  ]);
  const { server, q } = await serve(source);
  t.teardown(() => server.close());
  const { page, problems } = await openPage(t);
  // The drawing as the page was parsed, before any of its script ran. (In-page code is given
  // as text: the tests are compiled without the DOM's types.)
  await page.addInitScript({
    content: `document.addEventListener('readystatechange', () => {
      if (document.readyState === 'interactive') globalThis.served = document.querySelector('#diagram svg');
    });`,
  });
  await page.goto(`http://127.0.0.1:${server.port}/?${q}`);
  await page.waitForFunction('globalThis.pidnsTreePerf?.readyAt !== undefined');
  const sameDrawing = async () =>
    (await page.evaluate(
      'globalThis.served != null && globalThis.served === document.querySelector("#diagram svg")',
    )) === true;
  t.true(await sameDrawing(), 'the page kept the drawing it came with');
  t.is(await page.locator('#status').textContent(), `${ROWS + 1} running of ${ROWS + 1} processes`);

  // An exit: the row is patched in the same drawing.
  const exit: TreeEvent = { event: 'exit', node: 'root', process: 'p1', code: 0, signal: null };
  source.push([exit]);
  await page.waitForFunction(
    `document.querySelector('g.row[data-key="root:p1"] tspan.state')?.textContent === 'exited 0'`,
  );
  t.true(await sameDrawing(), 'patched, not drawn again');
  t.is(await page.locator('#status').textContent(), `${ROWS} running of ${ROWS + 1} processes`);

  // The keyboard reaches the last row, which the server did not draw.
  t.is(await page.locator(`g.row[data-key="root:p${ROWS - 1}"]`).count(), 0);
  await page.locator('g.row[tabindex="0"]').focus();
  await page.keyboard.press('End');
  await page.waitForFunction(`document.activeElement?.getAttribute('data-key') === 'root:p${ROWS - 1}'`);
  // And back to the top, where the patched row shows its exit.
  await page.keyboard.press('Home');
  await page.waitForFunction(`document.activeElement?.getAttribute('data-key') === 'root:init'`);
  t.is(await page.locator('g.row[data-key="root:p1"] tspan.state').textContent(), 'exited 0');
  t.log(`screenshot: ${await screenshot(page, 'ui-takeover')}`);
  t.deepEqual(problems, []);
});
