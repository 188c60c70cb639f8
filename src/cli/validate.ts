/** `pidns-tree validate <tree.json | ->`: check a spec without running anything. */
import { checkSpecText, planProcesses, readSpecSourceForCli } from '../spec.js';
import { EXIT } from './exit-codes.js';
import { errorJson, exitCodeFor, reportError } from './report-error.js';

export interface ValidateOptions {
  tree: string;
  json: boolean;
}

export async function validateCommand(options: ValidateOptions): Promise<number> {
  const source = options.tree === '-' ? '<stdin>' : options.tree;
  try {
    const plan = checkSpecText(await readSpecSourceForCli(options.tree), source);
    const depth = Math.max(...plan.nodes.map((n) => n.depth));
    const processes = planProcesses(plan).length;
    if (options.json) {
      const summary = { valid: true, namespaces: plan.nodes.length, processes, depth, maxDepth: plan.maxDepth };
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    } else {
      process.stdout.write(
        `${source}: valid: ${plan.nodes.length} namespaces, ${processes} processes, ` +
          `${depth} of the ${plan.maxDepth} nesting levels available here\n`,
      );
    }
    return EXIT.ok;
  } catch (error) {
    if (!options.json) return reportError(error, false, source);
    const { event: _event, ...details } = errorJson(error);
    process.stdout.write(`${JSON.stringify({ valid: false, ...details })}\n`);
    return exitCodeFor(error);
  }
}
