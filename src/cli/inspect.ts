/**
 * `pidns-tree inspect <pid>`: any host process's PID-namespace chain and its PID in each
 * namespace, outermost (yours) first: what `lsns` and `NSpid` give, in one view.
 */
import { nativeError, PidnsTreeError } from '../errors.js';
import { native } from '../native.js';
import { counted, styleFor } from '../render/format.js';
import { EXIT } from './exit-codes.js';
import { describeError, errorJson, reportError } from './report-error.js';

/** The kernel's highest possible PID (PID_MAX_LIMIT on 64-bit); pid_max may be set lower. */
const PID_MAX_LIMIT = 4_194_304n;

/**
 * The PID `text` names: decimal digits only. Not a JavaScript number first: `1.5`, `0x10`,
 * `1e3` and `abc` are not PIDs, and 4294967298 must not become 2 on its way to the kernel.
 */
function parsePid(text: string): number {
  if (!/^\d+$/.test(text)) {
    throw new PidnsTreeError('BAD_PID', `${JSON.stringify(text)} is not a PID: give a decimal number, e.g. 1234`);
  }
  const pid = BigInt(text);
  if (pid === 0n) throw new PidnsTreeError('BAD_PID', '0 is not a PID: PIDs start at 1');
  if (pid > PID_MAX_LIMIT) {
    throw new PidnsTreeError('UNKNOWN_PROCESS', `no process ${text}: Linux PIDs go up to ${PID_MAX_LIMIT}`);
  }
  return Number(pid);
}

/** 2 for what is not a PID (a usage error), 1 when there is no such process or it may not be read. */
function report(error: PidnsTreeError, json: boolean): number {
  const code = error.code === 'BAD_PID' ? EXIT.usage : 1;
  if (json) process.stdout.write(`${JSON.stringify(errorJson(error))}\n${JSON.stringify({ event: 'end', code })}\n`);
  else process.stderr.write(`${styleFor(process.stderr).red(describeError(error))}\n`);
  return code;
}

export function inspectCommand(options: { pid: string; json: boolean }): number {
  let found;
  try {
    const pid = parsePid(options.pid);
    try {
      found = native().inspectPid(pid);
    } catch (error) {
      // Its `code` says which refusal it is: BAD_PID, UNKNOWN_PROCESS or NOT_PERMITTED.
      throw nativeError(error, 'UNKNOWN_PROCESS');
    }
  } catch (error) {
    if (error instanceof PidnsTreeError && error.code !== 'NATIVE_MISSING') return report(error, options.json);
    // No native part (exit 125): the same report, `end` code included, as every command's.
    return reportError(error, options.json);
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify(found)}\n`);
    return EXIT.ok;
  }
  const s = styleFor(process.stdout);
  const n = found.levels.length;
  const lines = [`pid ${found.pid} (${found.name}): ${counted(n, 'PID-namespace level')}, yours first`];
  const width = Math.max(...found.levels.map((l) => `pid:[${l.namespace}]`.length));
  found.levels.forEach((level, i) => {
    const note = i === 0 ? s.dim('  ← where you are') : i === n - 1 ? s.dim('  ← its own') : '';
    lines.push(`  ${`pid:[${level.namespace}]`.padEnd(width)}  pid ${level.pid}${note}`);
  });
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}
