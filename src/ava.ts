/**
 * ava helpers: each test gets its own tree, stopped and reaped however the test ends (pass,
 * fail, throw; on a timeout ava ends the worker and the kernel kills the tree with it).
 *
 *   import test from 'ava';
 *   import { withTree, treeTest } from 'pidns-tree/ava';
 *   test('worker is PID 2', withTree(spec, async (t, tree) => { t.is(tree.pids('root:worker').root, 2); }));
 *   for (const f of files) test(f, treeTest(f));   // each tree.json with `expect` is a test
 */
import type { ExecutionContext } from 'ava';

import { spawnTree, type SpawnTreeOptions } from './api/spawn-tree.js';
import type { Tree } from './api/tree.js';
import { whereOf } from './check/results.js';
import { testTree, type TestTreeOptions } from './check/test-tree.js';
import type { TreeSpec } from './spec.js';

export function withTree<Context = unknown>(
  spec: TreeSpec | string,
  implementation: (t: ExecutionContext<Context>, tree: Tree) => unknown,
  options: SpawnTreeOptions & { graceMs?: number } = {},
): (t: ExecutionContext<Context>) => Promise<void> {
  return async (t) => {
    const tree = await spawnTree(spec, options);
    t.teardown(async () => {
      await tree.stop({ graceMs: options.graceMs ?? 2_000 });
    });
    await implementation(t, tree);
  };
}

/**
 * A test that runs a tree (a tree.json path or a spec object) and checks every expectation its
 * `expect` fields state, as `pidns-tree test` does. Each expectation is logged (`t.log`); the
 * test fails with every expectation that did not hold (what was expected, what happened,
 * file:line:column), or with every problem of a file that is not a valid tree.
 */
export function treeTest<Context = unknown>(
  spec: TreeSpec | string,
  options: TestTreeOptions = {},
): (t: ExecutionContext<Context>) => Promise<void> {
  return async (t) => {
    const result = await testTree(spec, options);
    if (result.status === 'invalid') {
      const issues = result.issues.map(
        (i) =>
          `${i.line === undefined ? result.source : `${result.source}:${i.line}:${i.column ?? 1}`} ${i.path}: ${i.message}`,
      );
      t.fail([result.note ?? `${result.source} is not a valid tree`, ...issues].join('\n'));
      return;
    }
    const failed: string[] = [];
    for (const r of result.results) {
      t.log(`${r.passed ? '✔' : '✖'} ${r.title}${r.passed ? '' : `: got ${r.actual}`}`);
      if (!r.passed) failed.push(`${r.title}\n  got: ${r.actual}\n  at:  ${whereOf(result, r.expectation)}`);
    }
    if (failed.length > 0) {
      t.fail(`${failed.length} of ${result.results.length} expectations failed:\n${failed.join('\n')}`);
    } else {
      t.pass(`${result.results.length} expectations held`);
    }
  };
}

export type { Tree };
