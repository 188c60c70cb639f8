/**
 * ava helpers: each test gets its own tree, stopped and reaped however the test ends (pass,
 * fail, throw; on a timeout ava ends the worker and the kernel kills the tree with it).
 *
 *   import test from 'ava';
 *   import { withTree } from 'pidns-tree/ava';
 *   test('worker is PID 2', withTree(spec, async (t, tree) => { t.is(tree.pids('root:worker').root, 2); }));
 */
import type { ExecutionContext } from 'ava';

import { spawnTree, type SpawnTreeOptions } from './api/spawn-tree.js';
import type { Tree } from './api/tree.js';
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

export type { Tree };
