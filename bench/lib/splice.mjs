// `npm run bench -- --only A,B --update`: a run of some families replaces their sections of
// BENCHMARKS.md and keeps the others as they were. Each section then says which run it comes
// from (date, rounds, raw numbers): ratios are only ever taken within one run, so a file made of
// several runs stays honest as long as every table names its own. Pure: text in, text out.

const NOTES_HEADING = '## What bounds us';

/** The run a whole BENCHMARKS.md (as render.mjs writes it) says it comes from. */
function runOf(md) {
  const file = md.match(/raw numbers in `([^`]+)`/)?.[1];
  const about = md.match(/; (\d+) interleaved rounds, ([0-9T:.\-Z]+)\./);
  if (about === null) return undefined;
  return { rounds: Number(about[1]), date: about[2], resultsFile: file };
}

/** `Run: …` under a family's heading: where its numbers come from. */
function provenance(run) {
  const file = run.resultsFile === undefined ? '' : `, raw numbers in \`${run.resultsFile}\``;
  return `Run: ${run.date}, ${run.rounds} interleaved rounds${file}.`;
}

/** The header, the family sections by title (in order), and the notes of a BENCHMARKS.md. */
function sections(md) {
  const notesAt = md.indexOf(`\n${NOTES_HEADING}\n`);
  const body = notesAt < 0 ? md : md.slice(0, notesAt + 1);
  const notes = notesAt < 0 ? '' : md.slice(notesAt + 1);
  const parts = body.split(/^(?=## )/m);
  const header = parts[0].startsWith('## ') ? '' : parts.shift();
  const families = parts.map((text) => ({ title: text.slice(3, text.indexOf('\n')), text }));
  return { header, families, notes };
}

/** A family's section with its `Run:` line (replacing one it had). */
function withRun(section, run) {
  const lines = section.text.split('\n');
  // lines[0] is the heading, lines[1] the blank line after it.
  const rest = lines.slice(2);
  if (rest[0]?.startsWith('Run: ')) rest.splice(0, 2);
  return [lines[0], '', provenance(run), '', ...rest].join('\n');
}

/**
 * BENCHMARKS.md with the families of `fresh` (a whole markdown of a run with --only, as
 * render.mjs writes it) put in place of the same families of `old`; `order` is the titles of
 * every family, in the harness's order. Families of `fresh` that `old` lacks are added in order.
 */
export function splice(old, fresh, order) {
  // The notes (bench/NOTES.md) come with the new run: they are the current text.
  const before = sections(old);
  const now = sections(fresh);
  const oldRun = runOf(before.header);
  const newRun = runOf(now.header);
  if (newRun === undefined) throw new Error('bench --update: the new run has no header to name it by');
  const byTitle = new Map();
  for (const s of before.families) {
    // A section of a file written whole names its run by the file's header.
    const named = s.text.split('\n')[2]?.startsWith('Run: ');
    byTitle.set(s.title, named || oldRun === undefined ? s.text : withRun(s, oldRun));
  }
  for (const s of now.families) byTitle.set(s.title, withRun(s, newRun));
  const known = [...order.filter((t) => byTitle.has(t)), ...[...byTitle.keys()].filter((t) => !order.includes(t))];
  const header = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (bench/run.mjs). The families below come from more than one run',
    '(`--only … --update` replaced some): each says its run under its heading. A ratio is always',
    'between two numbers of the same run.',
    '',
    `Machine: ${now.header.match(/^Machine: ([^;]+);/m)?.[1] ?? 'unknown'}.`,
    'Absolute times on a shared machine move; the ratios against the baseline measured in the same rounds are the result.',
    '',
    '',
  ].join('\n');
  const body = known.map((t) => byTitle.get(t)).join('');
  return `${header}${body}${now.notes || before.notes}`;
}
