// The output path (issue 12): 200 MB from one process, rendered by `spawn` (human and NDJSON)
// against `sed` prefixing the same bytes; 1,000 processes printing 1,000 lines each. Every
// contender's stdout goes through a pipe into the same C reader (`floor count`), which counts
// what came: every line must arrive, with every byte. The API runs in a process of its own
// (bench/lib/api-worker.mjs) whose consumer reads every event; the detached supervisor keeps
// no output (it is measured for its memory and time only).
import path from 'node:path';

import { expectEqual } from '../lib/expect.mjs';
import { PEAK_RSS, TIME } from '../lib/metrics.mjs';
import { writeLines } from '../lib/text.mjs';

const NDJSON_LINE = (node, proc) => `{"event":"output","node":"${node}","process":"${proc}","stream":"stdout","line":"`;

export default {
  name: 'output',
  title: 'Output: 200 MB from one process, 1,000 processes × 1,000 lines',
  async prepare(ctx) {
    const floor = await ctx.floor();
    const { checkSpecObject, prefixWidth } = ctx.pkg;
    const node = process.execPath;

    // 200 MB from one process, generated once, when first needed (not for --only output/1000x1000).
    const bigFile = path.join(ctx.tmp, 'output-200mb.txt');
    let generated;
    const data = () => {
      if (generated === undefined) {
        ctx.log('writing 200 MB of lines for the output benchmark');
        const { lines, bytes } = writeLines(bigFile, { bytes: 200e6 });
        generated = { lines, bytes, payload: bytes - lines }; // payload: without the newlines
      }
      return generated;
    };
    const one = { name: 'r', processes: [{ name: 'p', command: ['cat', bigFile] }] };
    const oneFile = ctx.writeSpec('output-200mb', one);
    const prefix = `${'r:p'.padEnd(prefixWidth(checkSpecObject(one)))} | `;
    const oneEnd = '0:{"event":"end","code":0}';

    // 1,000 processes over 10 namespaces, each printing the same 1,000 lines.
    const smallFile = path.join(ctx.tmp, 'lines-1000.txt');
    const small = writeLines(smallFile, { lines: 1000 }, 7);
    const many = {
      name: 'r',
      children: Array.from({ length: 10 }, (_, n) => ({
        name: `n${n}`,
        processes: Array.from({ length: 100 }, (_, p) => ({ name: `p${p}`, command: ['cat', smallFile] })),
      })),
    };
    const manyFile = ctx.writeSpec('output-1000x1000', many);
    const manyWidth = prefixWidth(checkSpecObject(many));
    const manyLines = 1000 * small.lines;
    const manyPayload = 1000 * (small.bytes - small.lines);

    return {
      groups: [
        {
          id: '200mb',
          title: '200 MB of output from one process (about 4 million lines of words, 49 bytes each on average)',
          note: `Each contender's output goes through a pipe into the same reader (\`floor count\`), which checks that every line and every byte came. sed is \`cat FILE | sed 's/^/${prefix}/'\`, the prefix \`spawn\` writes. Peak RSS: VmHWM of the CLI, of the process using the API, of the supervisor, read when it exits.`,
          baseline: 'sed',
          rate: { count: 200, unit: 'MB' },
          metrics: [TIME, PEAK_RSS],
          contenders: [
            {
              id: 'sed',
              label: `cat | sed 's/^/prefix/'`,
              run: async () => {
                const big = data();
                const r = await ctx.pipeline(
                  ['sh', '-c', 'cat "$1" | sed "s/^/$2/"', 'sh', bigFile, prefix],
                  [`0:${prefix}`],
                );
                expectEqual('sed: exit code', r.code, 0);
                expectEqual('sed: prefixed lines', r.matches[0].lines, big.lines);
                expectEqual('sed: bytes after the prefix', r.matches[0].bytes, big.payload);
                return { ms: r.ms };
              },
            },
            {
              id: 'human',
              label: 'pidns-tree spawn (human)',
              run: async () => {
                const big = data();
                const r = await ctx.pipeline([node, ctx.cli, 'spawn', oneFile], [`0:${prefix}`], { peak: true });
                expectEqual('spawn: exit code', r.code, 0);
                expectEqual('spawn: output lines', r.matches[0].lines, big.lines);
                expectEqual('spawn: bytes after the prefix', r.matches[0].bytes, big.payload);
                return { ms: r.ms, peakKiB: r.peakKiB };
              },
            },
            {
              id: 'json',
              label: 'pidns-tree spawn --json (NDJSON)',
              run: async () => {
                const big = data();
                const r = await ctx.pipeline(
                  [node, ctx.cli, 'spawn', '--json', oneFile],
                  [`0:${NDJSON_LINE('r', 'p')}`, oneEnd],
                  { peak: true },
                );
                expectEqual('spawn --json: exit code', r.code, 0);
                expectEqual('spawn --json: output events', r.matches[0].lines, big.lines);
                // Each line's text, then `"}`: lowercase words need no escapes.
                expectEqual('spawn --json: bytes of the lines', r.matches[0].bytes, big.payload + 2 * big.lines);
                expectEqual('spawn --json: end with code 0', r.matches[1].lines, 1);
                return { ms: r.ms, peakKiB: r.peakKiB };
              },
            },
            {
              id: 'api',
              label: 'API: spawnTree, a consumer reading events()',
              run: async () => {
                const big = data();
                const r = await ctx.api(oneFile);
                expectEqual('API: end code', r.code, 0);
                expectEqual('API: output events', r.lines, big.lines);
                expectEqual('API: bytes of the lines', r.bytes, big.payload);
                return { ms: r.ms, peakKiB: r.peakKiB };
              },
            },
            {
              id: 'supervisor',
              label: 'supervisor (detached; keeps no output)',
              run: async () => {
                data();
                const r = await ctx.supervisor(one);
                expectEqual('supervisor: tree exit code', r.code, 0);
                return { ms: r.ms, peakKiB: r.peakKiB };
              },
            },
          ],
          targets: [
            { contender: 'human', ratio: 2 },
            { contender: 'json', ratio: 3 },
            { contender: 'api', metric: 'peakKiB', atMost: 100 * 1024 },
          ],
        },
        {
          id: '1000x1000',
          title: '1,000 processes × 1,000 lines (10 namespaces of 100 processes), none lost',
          note: `The floor runs the same 1,000 \`cat\`s in the same namespaces (\`floor tree 10 100 -- cat FILE\`), all writing into one pipe: the kernel's part alone. Every line is counted (${manyLines.toLocaleString('en-US')}), and every exit.`,
          baseline: 'floor',
          rate: { count: manyLines, unit: 'lines' },
          metrics: [TIME, PEAK_RSS],
          contenders: [
            {
              id: 'floor',
              label: 'floor (raw syscalls, C; one shared pipe)',
              run: async () => {
                const r = await ctx.pipeline([floor, 'tree', '10', '100', '--', 'cat', smallFile], []);
                expectEqual('floor: exit code', r.code, 0);
                expectEqual('floor: lines', r.lines, manyLines);
                return { ms: r.ms };
              },
            },
            {
              id: 'human',
              label: 'pidns-tree spawn (human)',
              run: async () => {
                const r = await ctx.pipeline(
                  [node, ctx.cli, 'spawn', manyFile],
                  [`${manyWidth}: | `, `${manyWidth}: · exited 0`],
                  { peak: true },
                );
                expectEqual('spawn: exit code', r.code, 0);
                expectEqual('spawn: output lines', r.matches[0].lines, manyLines);
                expectEqual('spawn: bytes after the prefixes', r.matches[0].bytes, manyPayload);
                expectEqual('spawn: exits', r.matches[1].lines, 1000);
                return { ms: r.ms, peakKiB: r.peakKiB };
              },
            },
            {
              id: 'json',
              label: 'pidns-tree spawn --json (NDJSON)',
              run: async () => {
                const r = await ctx.pipeline(
                  [node, ctx.cli, 'spawn', '--json', manyFile],
                  ['0:{"event":"output"', '0:{"event":"exit","node":"r/n', oneEnd],
                  { peak: true },
                );
                expectEqual('spawn --json: exit code', r.code, 0);
                expectEqual('spawn --json: output events', r.matches[0].lines, manyLines);
                expectEqual('spawn --json: exits in the 10 namespaces', r.matches[1].lines, 1010);
                expectEqual('spawn --json: end with code 0', r.matches[2].lines, 1);
                return { ms: r.ms, peakKiB: r.peakKiB };
              },
            },
            {
              id: 'api',
              label: 'API: spawnTree, a consumer reading events()',
              run: async () => {
                const r = await ctx.api(manyFile);
                expectEqual('API: end code', r.code, 0);
                expectEqual('API: output events', r.lines, manyLines);
                expectEqual('API: bytes of the lines', r.bytes, manyPayload);
                expectEqual('API: exits', r.exits, 1011);
                return { ms: r.ms, peakKiB: r.peakKiB };
              },
            },
            {
              id: 'supervisor',
              label: 'supervisor (detached; keeps no output)',
              run: async () => {
                const r = await ctx.supervisor(many);
                expectEqual('supervisor: tree exit code', r.code, 0);
                return { ms: r.ms, peakKiB: r.peakKiB };
              },
            },
          ],
        },
      ],
    };
  },
};
