/**
 * The live page of a tree wider than the window: the diagram scrolls inside its own box, and the
 * page itself does not (its Stop button stays in the window). A grid column of `1fr` grows to
 * its content's width, which had pushed the page 2,800 pixels wide for a tree 32 levels deep.
 */
import test from 'ava';

import { NO_BROWSER, browserPath, openPage } from './helpers/browser.js';
import { detachTree } from './helpers/live.js';
import { sleeper } from './helpers/specs.js';
import { startUi } from './helpers/ui.js';

interface TreeSpec {
  name: string;
  processes: ReturnType<typeof sleeper>[];
  children?: TreeSpec[];
}

/** A chain of `depth` namespaces, a sleeper at the bottom: a PID column per level. */
function chain(depth: number): TreeSpec {
  let spec: TreeSpec = { name: `l${depth}`, processes: [sleeper('leaf')] };
  for (let d = depth - 1; d >= 1; d -= 1) spec = { name: `l${d}`, processes: [], children: [spec] };
  return spec;
}

test('a diagram wider than the window scrolls in its box; the page keeps to the window', async (t) => {
  if (browserPath === undefined) return t.fail(NO_BROWSER);
  const id = `ui-wide-${process.pid}`;
  const depth = 30;
  await detachTree(id, chain(depth), { stopAfter: t });
  const ui = await startUi([id]);
  t.teardown(() => ui.stop());
  const { page, problems } = await openPage(t, ui.url.href);
  await page.setViewportSize({ width: 1000, height: 700 });
  await page.waitForSelector(
    `g.row[data-key="${Array.from({ length: depth }, (_, i) => `l${i + 1}`).join('/')}:leaf"]`,
  );
  // The test code has no DOM types: what it reads of an element, typed here.
  type Scroller = { scrollWidth: number; clientWidth: number };
  const diagram = await page
    .locator('#diagram')
    .evaluate((e: Scroller) => ({ box: e.clientWidth, content: e.scrollWidth }));
  const pageWidth = await page.evaluate(
    () => (globalThis as unknown as { document: { scrollingElement: Scroller } }).document.scrollingElement.scrollWidth,
  );
  const stop = await page.locator('#stop').boundingBox();
  const sizes = {
    window: page.viewportSize()?.width ?? Number.NaN,
    page: pageWidth,
    diagramBox: diagram.box,
    diagram: diagram.content,
    stopRight: stop === null ? Number.NaN : stop.x + stop.width,
  };
  t.true(
    sizes.diagram > sizes.diagramBox,
    `the diagram is wider than its box (${sizes.diagram} > ${sizes.diagramBox})`,
  );
  t.true(sizes.page <= sizes.window, `the page is no wider than the window (${sizes.page} <= ${sizes.window})`);
  t.true(sizes.stopRight <= sizes.window, `the Stop button is in the window (${sizes.stopRight} <= ${sizes.window})`);
  t.deepEqual(problems, []);
});
