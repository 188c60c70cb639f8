/**
 * `pidns-tree inspect <pid>`: any host process's PID-namespace chain and its PID in each
 * namespace, outermost (yours) first: what `lsns` and `NSpid` give, in one view.
 */
import { PidnsTreeError } from '../errors.js';
import { native } from '../native.js';
import { styleFor } from '../render/format.js';
import { EXIT } from './exit-codes.js';
import { reportError } from './report-error.js';

export function inspectCommand(options: { pid: number; json: boolean }): number {
  let found;
  try {
    found = native().inspectPid(options.pid);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    reportError(new PidnsTreeError('UNKNOWN_PROCESS', message), options.json);
    return 1;
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify(found)}\n`);
    return EXIT.ok;
  }
  const s = styleFor(process.stdout);
  const n = found.levels.length;
  const lines = [`pid ${found.pid} (${found.name}): ${n} PID-namespace ${n === 1 ? 'level' : 'levels'}, yours first`];
  const width = Math.max(...found.levels.map((l) => `pid:[${l.namespace}]`.length));
  found.levels.forEach((level, i) => {
    const note = i === 0 ? s.dim('  ← where you are') : i === n - 1 ? s.dim('  ← its own') : '';
    lines.push(`  ${`pid:[${level.namespace}]`.padEnd(width)}  pid ${level.pid}${note}`);
  });
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}
