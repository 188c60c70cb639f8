/** How the CLI shows an error: what went wrong, where, and what to do. */
import { PidnsTreeError, type SpecIssue } from '../errors.js';
import { styleFor } from '../render/format.js';
import { EXIT } from './exit-codes.js';

function issueLines(issue: SpecIssue, source: string): string[] {
  const where = issue.line === undefined ? source : `${source}:${issue.line}:${issue.column ?? 1}`;
  const lines = [`  ${where}  ${issue.path}`, `    ${issue.message}`];
  if (issue.hint !== undefined) lines.push(`    hint: ${issue.hint}`);
  return lines;
}

/** Human text for an error; `source` names the spec file in positions (file:line:column). */
export function describeError(error: unknown, source = 'tree.json'): string {
  if (!(error instanceof PidnsTreeError)) {
    return `pidns-tree: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
  }
  const lines = [`pidns-tree: ${error.message}`];
  for (const issue of error.issues) lines.push(...issueLines(issue, source));
  return lines.join('\n');
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof PidnsTreeError) {
    return error.code === 'INVALID_SPEC' ||
      error.code === 'INVALID_STEPS' ||
      error.code === 'DEPTH_LIMIT' ||
      error.code === 'SPEC_UNREADABLE' ||
      error.code === 'BAD_TARGET' ||
      error.code === 'BAD_SIGNAL' ||
      error.code === 'BAD_PID' ||
      error.code === 'BAD_ARGUMENT' ||
      error.code === 'UNKNOWN_TREE'
      ? EXIT.usage
      : EXIT.cannotRun;
  }
  return EXIT.cannotRun;
}

/** The same error as one JSON object (for `--json`). */
export function errorJson(error: unknown): Record<string, unknown> {
  if (error instanceof PidnsTreeError) {
    return { event: 'error', code: error.code, message: error.message, issues: error.issues };
  }
  return { event: 'error', code: 'INTERNAL', message: String(error) };
}

export function reportError(error: unknown, json: boolean, source?: string): number {
  const code = exitCodeFor(error);
  if (json) {
    process.stdout.write(`${JSON.stringify(errorJson(error))}\n${JSON.stringify({ event: 'end', code })}\n`);
  } else {
    process.stderr.write(`${styleFor(process.stderr).red(describeError(error, source))}\n`);
  }
  return code;
}

/**
 * How a check (`validate`, `plan`) reports a failure: the human error on stderr, or with `--json`
 * one object on stdout that says `valid: false` and why (the same fields as the `error` event).
 */
export function reportInvalid(error: unknown, json: boolean, source: string): number {
  if (!json) return reportError(error, false, source);
  const { event: _event, ...details } = errorJson(error);
  process.stdout.write(`${JSON.stringify({ valid: false, ...details })}\n`);
  return exitCodeFor(error);
}
