/**
 * `pidns-tree simulate <tree.json | -> [--steps steps.json]`: the tree started in the model of
 * the kernel and pidns-tree's init, the steps played one at a time; prints what each did and
 * what followed, then the tree at the end. Nothing runs; no Linux needed.
 */
import { hostLevels } from '../host-level.js';
import { modelSync } from '../model/node-loader.js';
import { counted, styleFor } from '../render/format.js';
import { renderSimulation } from '../render/model-view.js';
import { readSpecSourceForCli } from '../spec.js';
import { diagramFromSimulation } from '../render/diagram/model.js';
import { drawDiagram, type OutputFormat } from './diagram-output.js';
import { EXIT } from './exit-codes.js';
import { errorJson, exitCodeFor, reportError } from './report-error.js';
import { PidnsTreeError } from '../errors.js';

export interface SimulateOptions {
  tree: string;
  steps?: string | undefined;
  json: boolean;
  /** `svg` or `mermaid`: the diagram of the tree after the steps instead of the text. */
  format?: OutputFormat | undefined;
}

export async function simulateCommand(options: SimulateOptions): Promise<number> {
  const source = options.tree === '-' ? '<stdin>' : options.tree;
  const stepsSource = options.steps === '-' ? '<stdin>' : (options.steps ?? 'the steps');
  try {
    if (options.tree === '-' && options.steps === '-') {
      throw new PidnsTreeError('INVALID_STEPS', 'only one of the tree and the steps can come from standard input');
    }
    const text = await readSpecSourceForCli(options.tree);
    const steps = options.steps === undefined ? '' : await readSpecSourceForCli(options.steps);
    const model = modelSync();
    const sim = model.simulate(text, steps, source, stepsSource, hostLevels());
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ valid: true, ...sim })}\n`);
      return EXIT.ok;
    }
    const plan = model.check(text, source, hostLevels());
    if (options.format === 'svg' || options.format === 'mermaid') {
      const n = sim.steps.length;
      const title = `${source}: after ${counted(n, 'simulated step')}`;
      process.stdout.write(drawDiagram(diagramFromSimulation(sim, plan.nodes, title), options.format));
      return EXIT.ok;
    }
    const style = styleFor(process.stdout);
    const n = sim.steps.length;
    const header = `${source}: simulated with ${counted(n, 'step')} (nothing runs)`;
    process.stdout.write(
      `${style.dim(header)}\n${renderSimulation(sim, plan.nodes, style, process.stdout.columns ?? 120)}\n`,
    );
    return EXIT.ok;
  } catch (error) {
    const at = error instanceof PidnsTreeError && error.code === 'INVALID_STEPS' ? stepsSource : source;
    if (!options.json) return reportError(error, false, at);
    const { event: _event, ...details } = errorJson(error);
    process.stdout.write(`${JSON.stringify({ valid: false, ...details })}\n`);
    return exitCodeFor(error);
  }
}
