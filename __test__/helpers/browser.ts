/**
 * Headless Chromium for the tests that need a real browser: Debian's `chromium` (which
 * scripts/prepare-test-host.sh installs), or Chrome; PIDNS_TREE_CHROMIUM names another. Driven by
 * playwright-core, which brings no browser of its own.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { ExecutionContext } from 'ava';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

import { root } from './cli.js';

export const browserPath = [
  process.env['PIDNS_TREE_CHROMIUM'],
  '/usr/bin/chromium',
  '/usr/bin/google-chrome',
  '/usr/bin/chromium-browser',
]
  .filter((p): p is string => p !== undefined)
  .find((p) => existsSync(p));

export const NO_BROWSER = 'no Chromium or Chrome here: install chromium (Debian) or set PIDNS_TREE_CHROMIUM';

/**
 * Headless, and none of the browser's own background work (updates, sync, prefetching): it
 * would share the cores with the page (the benchmark of the live page launches with these too;
 * without them an idle browser took 13% of a core here).
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * A fresh headless browser with a profile of its own (a directory mkdtemp made for it: `close`
 * closes the browser, then removes it; before, every browser test left one in /tmp), and no
 * network but what the page asks for.
 */
export async function launchBrowser(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  if (browserPath === undefined) throw new Error(NO_BROWSER);
  const profile = mkdtempSync(path.join(tmpdir(), 'pidns-tree-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: browserPath,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: CHROMIUM_ARGS,
  });
  return {
    context,
    // Only once the browser has exited: until then it may still write into its profile.
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Every console error, failed request and uncaught exception of a page, as text. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  return problems;
}

/**
 * A page in a fresh browser (closed when the test ends), its problems watched from the start
 * (`watchProblems`), at `url` when one is given: the address with its token for `pidns-tree ui`.
 * `offline`: every request to another origin than `url`'s fails, as it would with no network.
 */
export async function openPage(
  t: Pick<ExecutionContext, 'teardown'>,
  url?: string,
  options: { offline?: boolean } = {},
): Promise<{ page: Page; problems: string[] }> {
  const { context, close } = await launchBrowser();
  t.teardown(close);
  const page = await context.newPage();
  const problems = watchProblems(page);
  if (url !== undefined) {
    if (options.offline === true) {
      const origin = new URL(url).origin;
      await context.route(
        (u) => u.origin !== origin,
        (route) => route.abort(),
      );
    }
    await page.goto(url);
  }
  return { page, problems };
}

/** What the tests read of an SVG text element (the test code has no DOM types). */
interface Cell {
  getAttribute(name: string): string | null;
  textContent: string | null;
}

/** The PIDs a diagram row (`node:process`) shows, by level (`host`, `root`, ...), as text. */
export function rowPids(page: Page, key: string): Promise<Record<string, string>> {
  return page
    .locator(`g.row[data-key="${key}"] tspan.pid`)
    .evaluateAll((els: Cell[]) =>
      Object.fromEntries(els.map((e) => [e.getAttribute('data-level') ?? '', e.textContent ?? ''])),
    );
}

/** dist/artifacts/<name>.png: a screenshot kept for a person to look at. */
export async function screenshot(page: Page, name: string, fullPage = false): Promise<string> {
  const file = path.join(root, 'dist', 'artifacts', `${name}.png`);
  mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage });
  return file;
}
