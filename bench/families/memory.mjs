// Resident memory of each init as PID 1, idle under `sleep` (measured once: it does not move).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** VmRSS and RssAnon (KiB) of the init under `unshare --fork --pid`, once it has started sleep. */
function idleRss(argv) {
  const child = spawn('unshare', ['--fork', '--pid', '--mount-proc', ...argv, 'sleep', '1'], { stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    let done = false;
    const look = () => {
      if (done) return;
      try {
        const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
        const status = readFileSync(`/proc/${kids.split(' ')[0]}/status`, 'utf8');
        const rss = status.match(/^VmRSS:\s+(\d+) kB/m);
        const anon = status.match(/^RssAnon:\s+(\d+) kB/m);
        // The init's own figures, once it has forked its command (it then has a child).
        const grandkids = readFileSync(`/proc/${kids.split(' ')[0]}/task/${kids.split(' ')[0]}/children`, 'utf8');
        if (kids !== '' && grandkids.trim() !== '' && rss && anon) {
          done = true;
          resolve({ rssKiB: Number(rss[1]), anonKiB: Number(anon[1]) });
          return;
        }
      } catch {}
      setTimeout(look, 20);
    };
    look();
    child.on('close', () => {
      if (!done) reject(new Error(`${argv[0]}: ended before it could be measured`));
      done = true;
    });
  });
}

export default {
  name: 'memory',
  title: 'Resident memory of each init as PID 1 (idle)',
  async prepare(ctx) {
    const { catatonit } = await ctx.peers();
    const inits = {
      'pidns-init': [ctx.init, '--'],
      'tini-static': ['tini-static', '--'],
      tini: ['tini', '--'],
      catatonit: [catatonit, '--'],
      'dumb-init': ['dumb-init'],
    };
    return {
      groups: [
        {
          id: 'idle',
          title: 'Resident memory of each init as PID 1 (idle)',
          note: "VmRSS counts the binary's file pages too, which every init of a tree (and the page cache) shares; RssAnon is what each further init costs.",
          baseline: 'tini-static',
          rounds: 1,
          metrics: [
            { key: 'rssKiB', label: 'VmRSS', unit: 'KiB' },
            { key: 'anonKiB', label: 'RssAnon', unit: 'KiB' },
          ],
          contenders: Object.entries(inits).map(([id, argv]) => ({ id, label: id, run: () => idleRss(argv) })),
          targets: [{ contender: 'pidns-init', ratio: 1 }],
        },
      ],
    };
  },
};
