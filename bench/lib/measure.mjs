// The rounds: every contender of every group once per round, in the same order each round
// (A B C A B C ...), so that a busy machine slows every contender alike. Each sample is kept
// with its structured key; a run that throws is a failed measurement, kept with its reason.
//
// A family that needs something running while it is measured (a live tree, a storm, a browser)
// starts it in `enter` and stops it in `leave`, around its own groups in each round: nothing
// of one family runs while another is measured. Before each family the harness waits, for a
// bounded time, until the machine is quiet (lib/quiet.mjs), so that the kernel's teardown of
// the family before (namespaces, mounts) is not counted in the next one's time.
import { waitQuiet } from './quiet.mjs';

/**
 * `families`: [{ family, prepared }]. Resolves with the records, in the order they were taken.
 * `quiet`: what waits for a quiet machine (a test gives its own).
 */
export async function measureRounds(families, { rounds, log, quiet: settle = waitQuiet }) {
  const records = [];
  const failed = (key, error) => {
    const message = error instanceof Error ? error.message : String(error);
    records.push({ ...key, error: message });
    log(`${key.family}/${key.group}/${key.contender}: FAILED: ${message}`);
  };
  for (let round = 0; round < rounds; round += 1) {
    log(`round ${round + 1}/${rounds}`);
    for (const { family, prepared } of families) {
      const groups = prepared.groups.filter((g) => g.rounds === undefined || round < g.rounds);
      if (groups.length === 0) continue;
      const quiet = await settle();
      if (!quiet.quiet)
        log(`${family.name}: the machine was still ${quiet.busyPercent}% busy after ${quiet.waitedMs} ms`);
      let entered = true;
      try {
        await prepared.enter?.();
      } catch (error) {
        entered = false;
        const why = `could not set up (${error instanceof Error ? error.message : String(error)})`;
        for (const group of groups) {
          for (const contender of group.contenders) {
            failed({ family: family.name, group: group.id, contender: contender.id, round }, why);
          }
        }
      }
      if (entered) {
        for (const group of groups) {
          for (const contender of group.contenders) {
            const key = { family: family.name, group: group.id, contender: contender.id, round };
            try {
              const sample = await contender.run();
              const bad = Object.entries(sample ?? { sample: undefined }).find(([, v]) => typeof v !== 'number');
              if (bad !== undefined) throw new Error(`its sample's ${bad[0]} is not a number`);
              records.push({ ...key, sample, busyPercent: quiet.busyPercent });
            } catch (error) {
              failed(key, error);
            }
          }
        }
      }
      try {
        await prepared.leave?.();
      } catch (error) {
        // What it could not stop is stopped by its cleanup at the end; say so now.
        log(
          `${family.name}: tearing down after round ${round + 1}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }
  return records;
}
