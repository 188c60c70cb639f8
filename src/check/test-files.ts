/**
 * Many trees, `jobs` at a time in this one Node process: each file is checked, run and judged,
 * and handed to the reporters in file order. With `bail`, the first tree that fails (or is
 * invalid) stops the trees still running and skips the rest, each reported as skipped.
 */
import { performance } from 'node:perf_hooks';

import { inOrder } from './pool.js';
import type { Reporter } from './reporters/reporter.js';
import { totals, type Totals, type TreeResult } from './results.js';
import { runTree, type RunOptions } from './run-tree.js';
import { loadForTest } from './test-tree.js';

export interface TestFilesOptions extends Omit<RunOptions, 'signal' | 'onEvent'> {
  readonly jobs: number;
  readonly bail?: boolean;
  /** Stops everything (Ctrl-C): running trees are stopped, the rest skipped, all reported. */
  readonly signal?: AbortSignal;
}

export async function testFiles(
  files: readonly string[],
  options: TestFilesOptions,
  reporters: readonly Reporter[],
): Promise<{ results: TreeResult[]; totals: Totals }> {
  const began = performance.now();
  const stopAll = new AbortController();
  const onAbort = (): void => stopAll.abort(String(options.signal?.reason ?? 'interrupted'));
  if (options.signal?.aborted === true) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const info = { files, jobs: options.jobs, startedAt: new Date() };
  reporters.forEach((r) => r.start(info));
  try {
    const results = await inOrder(
      files,
      options.jobs,
      async (file) => {
        if (stopAll.signal.aborted) {
          const note = String(stopAll.signal.reason);
          return {
            source: file,
            file,
            name: '',
            status: 'skipped',
            durationMs: 0,
            results: [],
            issues: [],
            note,
          } as const;
        }
        const loaded = loadForTest(file);
        const result = 'plan' in loaded ? await runTree(loaded, { ...options, signal: stopAll.signal }) : loaded;
        if (options.bail === true && (result.status === 'failed' || result.status === 'invalid')) {
          stopAll.abort(`--bail: ${file} ${result.status === 'failed' ? 'failed' : 'is not a valid tree'}`);
        }
        return result;
      },
      (result) => reporters.forEach((r) => r.tree(result)),
    );
    const t = totals(results, performance.now() - began);
    reporters.forEach((r) => r.end(t, results));
    return { results, totals: t };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}
