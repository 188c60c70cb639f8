// The rounds: every contender of every group once per round, in the same order each round
// (A B C A B C ...), so that a busy machine slows every contender alike. Each sample is kept
// with its structured key; a run that throws is a failed measurement, kept with its reason.

/** `families`: [{ family, prepared }]. Resolves with the records, in the order they were taken. */
export async function measureRounds(families, { rounds, log }) {
  const records = [];
  for (let round = 0; round < rounds; round += 1) {
    log(`round ${round + 1}/${rounds}`);
    for (const { family, prepared } of families) {
      for (const group of prepared.groups) {
        if (group.rounds !== undefined && round >= group.rounds) continue;
        for (const contender of group.contenders) {
          const key = { family: family.name, group: group.id, contender: contender.id, round };
          try {
            const sample = await contender.run();
            const bad = Object.entries(sample ?? { sample: undefined }).find(([, v]) => typeof v !== 'number');
            if (bad !== undefined) throw new Error(`its sample's ${bad[0]} is not a number`);
            records.push({ ...key, sample });
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            records.push({ ...key, error: message });
            log(`${family.name}/${group.id}/${contender.id}: FAILED: ${message}`);
          }
        }
      }
    }
  }
  return records;
}
