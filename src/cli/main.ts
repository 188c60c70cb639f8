/** The `pidns-tree` command line (yargs). Each command's module does its own work. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import yargs from 'yargs';

import { packageRoot } from '../package-root.js';
import { EXIT } from './exit-codes.js';
import { reportError } from './report-error.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

const EPILOGUE = `Exit status of spawn: 0 when every process exited 0; otherwise the code of the first
process that failed (128+N when killed by signal N); 2 for an invalid spec or command line;
125 when pidns-tree could not start the tree (e.g. no CAP_SYS_ADMIN); 128+N when you stopped it
with signal N (130 for Ctrl-C).

Spec reference: README.md, and schema/tree.schema.json for your editor ("$schema").`;

/**
 * What launch.cts gives main(): `releaseStopSignals` hands Ctrl-C, SIGTERM and SIGHUP back to
 * their default action (death by the signal) before a command blocks in a native call, where
 * launch.cts's handler could only run once the call returned (see launch.cts).
 */
export interface Launcher {
  releaseStopSignals(): void;
}

let launcher: Launcher = { releaseStopSignals: () => undefined };

/** Runs a live-tree command, turning its errors into the CLI's report and exit code. */
function live(run: () => number, json: boolean): number {
  // The requests block (stop waits for the end): Ctrl-C must still end the command at once.
  launcher.releaseStopSignals();
  try {
    return run();
  } catch (error) {
    return reportError(error, json);
  }
}

/**
 * For the commands that need the native part (Linux): its exit code when it is missing, after
 * saying why and which package; undefined when it is here.
 */
async function withoutNative(json: boolean): Promise<number | undefined> {
  const { requireNative } = await import('../native.js');
  try {
    requireNative();
    return undefined;
  } catch (error) {
    return reportError(error, json);
  }
}

/** A command line yargs refused. */
class UsageError extends Error {}

/** yargs turns a lone `-` (stdin) into an empty string; give it back. */
function treeArg(value: string, argv: readonly string[]): string {
  return value === '' && argv.includes('-') ? '-' : value;
}

function endOnClosedOutput(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EPIPE') throw error;
  process.exit(EXIT.outputClosed);
}

export async function main(argv: readonly string[], from: Launcher = launcher): Promise<number> {
  launcher = from;
  // `init` takes tini's command line verbatim (options after the program included): no yargs.
  if (argv[0] === 'init') {
    const missing = await withoutNative(false);
    if (missing !== undefined) return missing;
    const { initCommand } = await import('./init.js');
    return initCommand(argv.slice(1));
  }
  // `exec` too: everything after `--` is the command's, options included (its `--help` too).
  const ours = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  if (argv[0] === 'exec' && !ours.includes('--help') && !ours.includes('-h')) {
    const missing = await withoutNative(false);
    if (missing !== undefined) return missing;
    // It blocks until the command ends; dying of Ctrl-C is what kills the command (README).
    launcher.releaseStopSignals();
    const { execCommand } = await import('./exec.js');
    return execCommand(argv.slice(1));
  }
  // A reader that goes away (`| head`) ends a listing quietly, as SIGPIPE would end a C tool.
  // `spawn` handles it itself: it must stop its tree first.
  if (argv[0] !== 'spawn') process.stdout.on('error', endOnClosedOutput);
  let exitCode: number = EXIT.ok;
  // `--steps -` (steps from stdin): yargs would take the lone `-` for a stray positional.
  const args: string[] = [];
  for (const [i, a] of argv.entries()) {
    if (a === '--steps' && argv[i + 1] === '-') args.push('--steps=-');
    else if (!(a === '-' && argv[i - 1] === '--steps')) args.push(a);
  }
  const cli = yargs(args)
    .scriptName('pidns-tree')
    .usage('$0 <command> [options]\n\nSpawn trees of real nested Linux PID namespaces declared in JSON.')
    .command(
      'spawn <tree>',
      'Start a tree, show every process with its PID at every level, stream its output',
      (y) =>
        y
          .positional('tree', { type: 'string', demandOption: true, describe: 'tree.json, or - to read it from stdin' })
          .option('json', { type: 'boolean', default: false, describe: 'NDJSON events on stdout, one per line' })
          .option('verbose', {
            alias: 'v',
            type: 'boolean',
            default: false,
            describe: 'also show every orphan an init reaps',
          })
          .option('rootless', {
            type: 'boolean',
            describe: 'run in a user namespace that maps you to root, also as root (the default without CAP_SYS_ADMIN)',
          })
          .option('privileged', { type: 'boolean', describe: 'need CAP_SYS_ADMIN; never fall back to rootless' })
          .conflicts('rootless', 'privileged')
          .option('detach', {
            alias: 'd',
            type: 'boolean',
            default: false,
            describe: 'hand the tree to a native supervisor, print its id and return',
          })
          .option('name', { type: 'string', describe: 'with --detach: the id to use instead of a random one' })
          .option('reproducible-pids', {
            type: 'boolean',
            default: false,
            describe: 'start in plan order so every PID is the one `plan` predicts (as "reproduciblePids": true)',
          })
          .option('format', {
            choices: ['text', 'svg', 'mermaid'] as const,
            describe: 'svg or mermaid: at the end, the diagram of the tree on stdout (the run goes to stderr)',
          })
          .option('summary', {
            type: 'string',
            describe:
              'append a Markdown summary (Mermaid picture, PIDs, exits, reaps) to FILE; default: $GITHUB_STEP_SUMMARY when set; --no-summary: none',
          })
          .option('ui', {
            type: 'boolean',
            default: false,
            describe: 'also serve a live web page of the tree on 127.0.0.1 (its address goes to stderr)',
          })
          .example('$0 spawn examples/nested.json', 'run the example tree')
          .example('$0 spawn tree.json --json', 'events as NDJSON (start, output, exit, end)')
          .example('$0 spawn - < tree.json', 'read the tree from stdin'),
      async (args) => {
        exitCode = (await withoutNative(args.json)) ?? EXIT.ok;
        if (exitCode !== EXIT.ok) return;
        const { spawnCommand } = await import('./spawn.js');
        // Handing the tree to its supervisor blocks in native calls (see `live`).
        if (args.detach) launcher.releaseStopSignals();
        exitCode = await spawnCommand({
          tree: treeArg(args.tree, argv),
          json: args.json,
          verbose: args.verbose,
          mode: args.rootless === true ? 'rootless' : args.privileged === true ? 'privileged' : 'auto',
          detach: args.detach,
          name: args.name,
          reproduciblePids: args.reproduciblePids,
          format: args.format,
          summary: argv.includes('--no-summary')
            ? undefined
            : typeof args.summary === 'string' && args.summary !== ''
              ? args.summary
              : process.env['GITHUB_STEP_SUMMARY'] || undefined,
          ui: args.ui,
        });
      },
    )
    .command(
      'validate <tree>',
      'Check a tree.json without running it',
      (y) =>
        y
          .positional('tree', { type: 'string', demandOption: true, describe: 'tree.json, or - to read it from stdin' })
          .option('json', { type: 'boolean', default: false, describe: 'the result as one JSON object' }),
      async (args) => {
        const { validateCommand } = await import('./validate.js');
        exitCode = await validateCommand({ tree: treeArg(args.tree, argv), json: args.json });
      },
    )
    .command(
      'plan <tree>',
      'Show the tree as spawn would start it, with every PID at every level; starts nothing',
      (y) =>
        y
          .positional('tree', { type: 'string', demandOption: true, describe: 'tree.json, or - to read it from stdin' })
          .option('json', {
            type: 'boolean',
            default: false,
            describe: 'the plan and predicted PIDs as one JSON object',
          })
          .option('reproducible-pids', {
            type: 'boolean',
            default: false,
            describe: 'the PIDs of spawn --reproducible-pids (all exact)',
          })
          .option('format', {
            choices: ['text', 'svg', 'mermaid'] as const,
            describe: 'svg or mermaid: the diagram of the tree with its PIDs instead of text',
          })
          .example('$0 plan examples/nested.json', "each process's PID in every namespace, or its range"),
      async (args) => {
        const { planCommand } = await import('./plan.js');
        exitCode = await planCommand({
          tree: treeArg(args.tree, argv),
          json: args.json,
          reproduciblePids: args.reproduciblePids,
          format: args.format,
        });
      },
    )
    .command(
      'simulate <tree>',
      "Play steps (fork, exit, kill, stop...) on a model of the tree and the kernel's rules; runs nothing",
      (y) =>
        y
          .positional('tree', { type: 'string', demandOption: true, describe: 'tree.json, or - to read it from stdin' })
          .option('steps', { type: 'string', describe: 'the steps (README: "the steps"), or - for stdin' })
          .option('json', {
            type: 'boolean',
            default: false,
            describe: 'events, step results and the final tree as one JSON object',
          })
          .option('format', {
            choices: ['text', 'svg', 'mermaid'] as const,
            describe: 'svg or mermaid: the diagram of the tree after the steps instead of text',
          })
          .example('$0 simulate tree.json --steps steps.json', 'what the kernel and the inits would do'),
      async (args) => {
        const { simulateCommand } = await import('./simulate.js');
        exitCode = await simulateCommand({
          tree: treeArg(args.tree, argv),
          steps: args.steps,
          json: args.json,
          format: args.format,
        });
      },
    )
    .command(
      'test [trees..]',
      'Run trees and check what their tree.json expects (expect): per tree and per expectation',
      (y) =>
        y
          .positional('trees', {
            type: 'string',
            array: true,
            describe: 'tree.json files, directories (every *.json below) or globs',
          })
          .option('jobs', {
            alias: 'j',
            type: 'number',
            describe: 'trees run at once (default: the number of cores)',
          })
          .option('reporter', {
            alias: 'r',
            type: 'string',
            array: true,
            default: ['human'],
            describe: 'human, tap, junit or github; NAME=FILE writes to a file; repeat for several',
          })
          .option('bail', { alias: 'b', type: 'boolean', default: false, describe: 'stop at the first failure' })
          .option('filter', {
            alias: 'f',
            type: 'string',
            array: true,
            default: [],
            describe: 'run only the files whose path contains this text (repeat: any of them)',
          })
          .option('timeout', {
            type: 'number',
            default: 60,
            describe: 'seconds before a tree without expect.within is stopped and fails',
          })
          .option('rootless', {
            type: 'boolean',
            describe: 'run in a user namespace that maps you to root, also as root (the default without CAP_SYS_ADMIN)',
          })
          .option('privileged', { type: 'boolean', describe: 'need CAP_SYS_ADMIN; never fall back to rootless' })
          .conflicts('rootless', 'privileged')
          .example('$0 test examples/checks', 'every tree in a directory')
          .example("$0 test 'trees/**/*.json' -j 4", 'a glob, four trees at a time')
          .example('$0 test trees --reporter human --reporter junit=report.xml', 'also a JUnit report for CI')
          .epilogue(
            'Exit status: 0 when every expectation held, 1 when one failed, 2 for an invalid file or command ' +
              'line, 125 when no tree can run here. With GITHUB_ACTIONS=true, failures are also annotations ' +
              'on their line and a summary goes to GITHUB_STEP_SUMMARY (the github reporter).',
          ),
      async (args) => {
        exitCode = (await withoutNative(false)) ?? EXIT.ok;
        if (exitCode !== EXIT.ok) return;
        const { testCommand } = await import('./test.js');
        exitCode = await testCommand({
          inputs: args.trees ?? [],
          jobs: args.jobs,
          reporters: args.reporter,
          bail: args.bail,
          filter: args.filter,
          timeout: args.timeout,
          mode: args.rootless === true ? 'rootless' : args.privileged === true ? 'privileged' : 'auto',
        });
      },
    )
    .command(
      'ls',
      'List the detached trees running here (and clean stale state)',
      (y) => y.option('json', { type: 'boolean', default: false, describe: '{trees: [...], cleaned: [...]}' }),
      async (args) => {
        exitCode = (await withoutNative(args.json)) ?? EXIT.ok;
        if (exitCode !== EXIT.ok) return;
        const { lsCommand } = await import('./ls.js');
        exitCode = live(() => lsCommand({ json: args.json }), args.json);
      },
    )
    .command(
      'ps <id>',
      'Show a detached tree: every process with its PIDs at every level and its state',
      (y) =>
        y
          .positional('id', { type: 'string', demandOption: true })
          .option('json', { type: 'boolean', default: false })
          .option('format', {
            choices: ['text', 'svg', 'mermaid'] as const,
            describe: 'svg or mermaid: the diagram of the tree now instead of text',
          }),
      async (args) => {
        exitCode = (await withoutNative(args.json)) ?? EXIT.ok;
        if (exitCode !== EXIT.ok) return;
        const { psCommand } = await import('./ps.js');
        exitCode = live(() => psCommand({ id: args.id, json: args.json, format: args.format }), args.json);
      },
    )
    .command(
      'exec <id> <node> -- <command..>',
      // -t/-T are listed under its options: in the usage they would widen the whole command column.
      'Run a command in a namespace of a detached tree, as a child of its PID 1; from a terminal, on a ' +
        'terminal of its own (job control, Ctrl-C and the window size inside)',
      (y) =>
        y
          .option('tty', {
            alias: 't',
            type: 'boolean',
            describe: 'a terminal of its own even if stdin, stdout or stderr is redirected',
          })
          .option('no-tty', {
            alias: 'T',
            type: 'boolean',
            describe: 'no terminal: pass stdin, stdout and stderr byte for byte, also from a terminal',
          }),
    )
    .command(
      'kill <id> [target]',
      "Send a signal to a process (node:process) or a namespace's init (node); default: the root",
      (y) =>
        y
          .positional('id', { type: 'string', demandOption: true })
          .positional('target', { type: 'string' })
          .option('signal', {
            alias: 's',
            type: 'string',
            default: 'SIGTERM',
            describe: 'a name (TERM, sigkill, RTMIN+3: any case, SIG optional) or a number from 1 to 64',
          })
          .option('json', { type: 'boolean', default: false }),
      async (args) => {
        exitCode = (await withoutNative(args.json)) ?? EXIT.ok;
        if (exitCode !== EXIT.ok) return;
        const { killCommand } = await import('./kill.js');
        exitCode = live(
          () => killCommand({ id: args.id, target: args.target, signal: args.signal, json: args.json }),
          args.json,
        );
      },
    )
    .command(
      'stop <id>',
      'Stop a detached tree: SIGTERM everywhere, SIGKILL after the grace period; waits for its end',
      (y) =>
        y
          .positional('id', { type: 'string', demandOption: true })
          .option('grace-ms', { type: 'number', default: 10_000, describe: 'SIGKILL after this long' })
          .option('json', { type: 'boolean', default: false }),
      async (args) => {
        exitCode = (await withoutNative(args.json)) ?? EXIT.ok;
        if (exitCode !== EXIT.ok) return;
        const { stopCommand } = await import('./stop.js');
        exitCode = live(() => stopCommand({ id: args.id, graceMs: args.graceMs, json: args.json }), args.json);
      },
    )
    .command(
      'ui [id]',
      'A local web page of your detached trees, live (or the playground); prints its address with the token',
      (y) =>
        y
          .positional('id', { type: 'string', describe: 'the tree to show first' })
          .option('playground', {
            type: 'boolean',
            default: false,
            describe: 'open the playground: edit a tree.json, see its PIDs, play the simulator (no Linux needed)',
          })
          .option('host', {
            type: 'string',
            default: '127.0.0.1',
            describe: 'the address to listen on (anything but loopback lets others on the network try the token)',
          })
          .option('port', { type: 'number', default: 0, describe: 'the port (default: a free one)' })
          .example('$0 ui', 'the live page of your detached trees')
          .example('$0 ui --playground', 'the playground'),
      async (args) => {
        if (!args.playground) {
          exitCode = (await withoutNative(false)) ?? EXIT.ok;
          if (exitCode !== EXIT.ok) return;
        }
        const { uiCommand } = await import('./ui.js');
        try {
          exitCode = await uiCommand({ id: args.id, playground: args.playground, host: args.host, port: args.port });
        } catch (error) {
          exitCode = reportError(error, false);
        }
      },
    )
    .command(
      'inspect <pid>',
      "Show a host process's PID-namespace chain and its PID in each namespace",
      (y) =>
        y
          // A string: yargs would make `1e3`, `0x10` or 4294967298 numbers (inspect.ts checks it).
          .positional('pid', { type: 'string', demandOption: true, describe: 'a PID as seen from here (the host)' })
          .option('json', { type: 'boolean', default: false, describe: '{pid, name, levels: [{namespace, pid}]}' }),
      async (args) => {
        exitCode = (await withoutNative(args.json)) ?? EXIT.ok;
        if (exitCode !== EXIT.ok) return;
        const { inspectCommand } = await import('./inspect.js');
        exitCode = inspectCommand({ pid: args.pid, json: args.json });
      },
    )
    .command(
      'init [options] -- <command..>',
      'Run a command under pidns-init, a tini-compatible init (options: pidns-tree init --help)',
    )
    .demandCommand(
      1,
      'Name a command: spawn, validate, plan, simulate, test, ls, ps, exec, kill, stop, ui, inspect or init (see --help).',
    )
    .recommendCommands()
    .strict()
    .version(packageVersion())
    .alias('h', 'help')
    .alias('V', 'version')
    .epilogue(EPILOGUE)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .check((args) => {
      // Both would be the one thing on stdout (yargs' conflicts() counts a default as given).
      if (args['json'] === true && typeof args['format'] === 'string' && args['format'] !== 'text')
        throw new UsageError(
          `--format ${String(args['format'])} and --json cannot be used together: both are written to stdout`,
        );
      return true;
    })
    .fail((message, error) => {
      // Abort: yargs would otherwise go on to run the command it just refused.
      throw error ?? new UsageError(message);
    });
  try {
    await cli.parseAsync();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`pidns-tree: ${error.message}\nRun \`pidns-tree --help\` for usage.\n`);
    return EXIT.usage;
  }
  return exitCode;
}
