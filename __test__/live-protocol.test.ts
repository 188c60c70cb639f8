/**
 * Version skew between a detached tree and a later CLI: a tree keeps the supervisor of the build
 * that started it. Another version is simulated honestly with PIDNS_TREE_SUPERVISOR_PROTOCOL,
 * which only the supervisor reads (crates/core/src/live/supervise.rs): the tree then announces
 * that version (or none, as before versions existed) and everything else about it is real.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import test from 'ava';

import { runCli, type CliResult } from './helpers/cli.js';
import { tempDir } from './helpers/host.js';
import { uniqueName, type Detached } from './helpers/live.js';
import { threeLevels } from './helpers/specs.js';
import { rawRequest, startUi } from './helpers/ui.js';

/** `spawn --detach` of a three-level tree whose supervisor announces `protocol`; stopped at the end. */
async function detachSpeaking(
  t: { teardown: (f: () => Promise<void>) => void },
  prefix: string,
  protocol: string | undefined,
): Promise<Detached> {
  const name = uniqueName(prefix);
  const r = await runCli(['spawn', '--detach', '--json', '--name', name, '-'], {
    input: JSON.stringify(threeLevels()),
    env: { PIDNS_TREE_SUPERVISOR_PROTOCOL: protocol },
  });
  if (r.code !== 0) throw new Error(`spawn --detach exited ${r.code}: ${r.stdout}${r.stderr}`);
  const tree = JSON.parse(r.stdout) as Detached;
  t.teardown(async () => {
    await runCli(['stop', tree.id, '--grace-ms', '1000']);
  });
  return tree;
}

/**
 * The start time of host process `pid` (/proc/PID/stat field 22), or undefined when it has
 * ended (gone, or a zombie its parent, whoever adopted it, has not reaped yet).
 */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

/** The version this build speaks: what a tree of this build writes in its info.json. */
let ourVersion = 0;

test.before(async () => {
  const stops: (() => Promise<void>)[] = [];
  const tree = await detachSpeaking({ teardown: (f) => stops.push(f) }, 'proto-ours', undefined);
  const info = JSON.parse(readFileSync(path.join(tree.dir, 'info.json'), 'utf8')) as { protocol?: number };
  await Promise.all(stops.map((stop) => stop()));
  if (typeof info.protocol !== 'number') throw new Error(`no protocol in ${JSON.stringify(info)}`);
  ourVersion = info.protocol;
});

function assertMismatch(t: import('ava').ExecutionContext, r: CliResult, id: string, theirs: string): void {
  t.is(r.code, 125, r.stderr);
  t.regex(r.stderr, new RegExp(`tree ${id} was started by a pidns-tree ${theirs}`));
  t.true(r.stderr.includes(`this pidns-tree speaks live protocol ${ourVersion}, so nothing was sent to it`), r.stderr);
  t.true(r.stderr.includes(`pidns-tree stop ${id}`), r.stderr);
}

for (const [label, protocol, theirs, shown] of [
  ['another version', '999', 'that speaks live protocol 999', 'protocol 999'],
  ['no version (a tree from before versions)', 'none', 'from before live protocol versions', 'no protocol version'],
] as const) {
  test(`a tree that speaks ${label}: ps, kill and exec send nothing and say why; ls lists it; stop stops it by signals`, async (t) => {
    const tree = await detachSpeaking(t, 'proto-skew', protocol);
    const info = JSON.parse(readFileSync(path.join(tree.dir, 'info.json'), 'utf8')) as {
      protocol?: number;
      rootPid: number;
    };
    t.is(info.protocol, protocol === 'none' ? undefined : 999);

    assertMismatch(t, await runCli(['ps', tree.id]), tree.id, theirs);
    assertMismatch(t, await runCli(['kill', tree.id, 'root', '-s', 'KILL']), tree.id, theirs);
    // The exec's command never ran: nothing was sent to the supervisor.
    const marker = path.join(tempDir(), 'ran');
    assertMismatch(t, await runCli(['exec', '-T', tree.id, 'root', '--', 'touch', marker]), tree.id, theirs);
    assertMismatch(t, await runCli(['exec', '-t', tree.id, 'root', '--', 'touch', marker]), tree.id, theirs);
    t.false(existsSync(marker), 'the exec ran in a tree of another protocol version');
    const json = await runCli(['ps', '--json', tree.id]);
    t.is((JSON.parse(json.stdout.split('\n')[0] ?? '') as { code: string }).code, 'PROTOCOL_MISMATCH');
    // The kill was not delivered either: the tree is still up.
    t.not(startTime(info.rootPid), undefined);

    // The ui's server: the page's stream says why and asks nothing; an action is refused (409).
    const ui = await startUi([tree.id]);
    t.teardown(() => ui.stop());
    const token = ui.url.searchParams.get('token') ?? '';
    const stream = await fetch(new URL(`/api/trees/${tree.id}/events?token=${token}`, ui.url));
    let text = '';
    // Until the gone event's end: the stream itself stays open.
    for await (const chunk of stream.body as unknown as AsyncIterable<Uint8Array>) {
      text += Buffer.from(chunk).toString('utf8');
      const gone = text.indexOf('event: gone');
      if (gone >= 0 && text.includes('\n\n', gone)) break;
    }
    t.regex(text, new RegExp(`event: gone\ndata: .*tree ${tree.id} was started by a pidns-tree ${theirs}`));
    const kill = await rawRequest(ui.url, {
      path: `/api/trees/${tree.id}/kill?token=${token}`,
      method: 'POST',
      headers: { host: ui.url.host, 'content-type': 'application/json' },
      body: JSON.stringify({ node: 'root', signal: 'KILL' }),
    });
    t.is(kill.status, 409, kill.body);
    t.is((JSON.parse(kill.body) as { error: { code: string } }).error.code, 'PROTOCOL_MISMATCH');
    await ui.stop();

    // ls lists it, with the version it speaks, and asks it nothing.
    const ls = await runCli(['ls', '--json']);
    t.is(ls.code, 0, ls.stderr);
    const row = (
      JSON.parse(ls.stdout) as {
        trees: { id: string; protocol: number | null; state: string; processes: number | null }[];
      }
    ).trees.find((r) => r.id === tree.id);
    t.deepEqual(row && { protocol: row.protocol, state: row.state, processes: row.processes }, {
      protocol: protocol === 'none' ? null : 999,
      state: 'other-protocol',
      processes: null,
    });
    const human = await runCli(['ls']);
    t.regex(human.stdout, new RegExp(`^${tree.id} .*running, ${shown}$`, 'm'));
    t.true(human.stderr.includes(`tree ${tree.id} speaks ${shown}`), human.stderr);

    // stop: by signals, to the supervisor and root init it proved are the tree's.
    const supervisorStart = startTime(tree.supervisor);
    const rootStart = startTime(info.rootPid);
    t.not(supervisorStart, undefined);
    const stop = await runCli(['stop', tree.id, '--grace-ms', '5000']);
    t.is(stop.code, 0, stop.stderr);
    t.regex(stop.stdout, new RegExp(`tree ${tree.id} stopped by signals \\(SIGTERM\\): it speaks ${shown}`));
    // Both are gone (a PID reused since has another start time), and so is the tree's state.
    t.not(startTime(tree.supervisor), supervisorStart);
    t.not(startTime(info.rootPid), rootStart);
    t.false(existsSync(tree.dir));
    const after = await runCli(['ls', '--json']);
    t.false((JSON.parse(after.stdout) as { trees: { id: string }[] }).trees.some((r) => r.id === tree.id));
  });
}

test('a tree of this build speaks the CLI protocol: ls shows its version and asks it', async (t) => {
  const tree = await detachSpeaking(t, 'proto-same', undefined);
  const ls = await runCli(['ls', '--json']);
  const row = (
    JSON.parse(ls.stdout) as { trees: { id: string; protocol: number | null; state: string; processes: number }[] }
  ).trees.find((r) => r.id === tree.id);
  t.deepEqual(row && { protocol: row.protocol, state: row.state, processes: row.processes }, {
    protocol: ourVersion,
    state: 'running',
    processes: 6,
  });
  const ps = await runCli(['ps', tree.id]);
  t.is(ps.code, 0, ps.stderr);
});
