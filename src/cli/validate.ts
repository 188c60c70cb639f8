/** `pidns-tree validate <tree.json | ->`: check a spec without running anything. */
import { readExpectations } from '../check/expectations.js';
import { PidnsTreeError } from '../errors.js';
import { counted } from '../render/words.js';
import { checkSpecText, planProcesses, readSpecSourceForCli } from '../spec.js';
import { EXIT } from './exit-codes.js';
import { reportInvalid } from './report-error.js';

export interface ValidateOptions {
  tree: string;
  json: boolean;
}

export async function validateCommand(options: ValidateOptions): Promise<number> {
  const source = options.tree === '-' ? '<stdin>' : options.tree;
  try {
    const text = await readSpecSourceForCli(options.tree);
    const plan = checkSpecText(text, source);
    // `matches` is a JavaScript regular expression: only JavaScript can judge it.
    const { expectations, issues } = readExpectations(text, true);
    if (issues.length > 0) {
      const count = issues.length;
      throw new PidnsTreeError('INVALID_SPEC', `${source} is not a valid tree (${counted(count, 'problem')})`, issues);
    }
    const depth = Math.max(...plan.nodes.map((n) => n.depth));
    const processes = planProcesses(plan).length;
    if (options.json) {
      const summary = {
        valid: true,
        namespaces: plan.nodes.length,
        processes,
        expectations: expectations.length,
        depth,
        maxDepth: plan.maxDepth,
      };
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    } else {
      const count = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
      const expects = expectations.length > 0 ? `${count(expectations.length, 'expectation', 'expectations')}, ` : '';
      process.stdout.write(
        `${source}: valid: ${count(plan.nodes.length, 'namespace', 'namespaces')}, ` +
          `${count(processes, 'process', 'processes')}, ${expects}` +
          `${depth} of the ${plan.maxDepth} nesting levels available here\n`,
      );
    }
    return EXIT.ok;
  } catch (error) {
    return reportInvalid(error, options.json, source);
  }
}
