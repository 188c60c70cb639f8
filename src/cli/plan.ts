/** `pidns-tree plan <tree.json | ->`: the tree as `spawn` would start it; nothing is started. */
import { hostLevels } from '../host-level.js';
import { modelSync } from '../model/node-loader.js';
import { counted, styleFor } from '../render/format.js';
import { renderPlan } from '../render/model-view.js';
import { readSpecSourceForCli, withReproduciblePids } from '../spec.js';
import { diagramFromPlan } from '../render/diagram/model.js';
import { drawDiagram, type OutputFormat } from './diagram-output.js';
import { EXIT } from './exit-codes.js';
import { reportInvalid } from './report-error.js';

export interface PlanOptions {
  tree: string;
  json: boolean;
  reproduciblePids: boolean;
  /** `svg` or `mermaid`: the diagram instead of the text. */
  format?: OutputFormat | undefined;
}

export async function planCommand(options: PlanOptions): Promise<number> {
  const source = options.tree === '-' ? '<stdin>' : options.tree;
  try {
    let text = await readSpecSourceForCli(options.tree);
    if (options.reproduciblePids) text = withReproduciblePids(text);
    const planned = modelSync().plan(text, source, hostLevels());
    if (options.format === 'svg' || options.format === 'mermaid') {
      process.stdout.write(
        drawDiagram(diagramFromPlan(planned, `${source}: the PIDs spawn will give`), options.format),
      );
      return EXIT.ok;
    }
    if (options.json) {
      const { json: _json, ...rest } = planned;
      process.stdout.write(`${JSON.stringify({ valid: true, ...rest })}\n`);
      return EXIT.ok;
    }
    const style = styleFor(process.stdout);
    const ranged = planned.predicted.some((p) => Object.keys(p.ranges).length > 0);
    const header =
      `${source}: ${counted(planned.namespaces, 'namespace')}, ` +
      `${counted(planned.processes, 'process', 'processes')}; ` +
      (planned.reproduciblePids
        ? 'the PIDs spawn gives them, exact: it starts them one at a time in this order and holds every ' +
          'program until the tree exists (reproduciblePids; nothing started)'
        : 'the PIDs spawn gives them if no program forks while the tree starts (nothing started)');
    const lines = [style.dim(header), renderPlan(planned, style, process.stdout.columns ?? 120)];
    if (ranged) {
      lines.push(
        '',
        style.dim(
          'a–b: sibling namespaces start concurrently, so this PID varies between runs within that range; ' +
            '"reproduciblePids": true (or spawn --reproducible-pids) makes every PID exact',
        ),
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return EXIT.ok;
  } catch (error) {
    return reportInvalid(error, options.json, source);
  }
}
