#!/usr/bin/env node
// npm run bench: pidns-tree against the kernel's floor (bench/floor.c) and the tools a user
// would pick instead, in interleaved rounds, as ratios to a baseline measured in the same run.
// The harness only orchestrates: the families (bench/families.mjs lists them) say what to
// measure, lib/measure.mjs takes the samples, lib/summarise.mjs computes medians, ratios and
// targets, lib/render.mjs writes BENCHMARKS.md and the JSON. See bench/NOTES.md.
//
//   npm run bench [-- options]
//     --only NAME[/GROUP][,...]   run these families (or groups) alone; repeatable
//     --rounds N                  rounds (default: BENCH_ROUNDS, or 7)
//     --out FILE.md               write the markdown there and the JSON beside it (FILE.json)
//     --no-build                  use the build as it is (default: npm run build first)
//     --update                    with --only (whole families): replace those families' sections
//                                 of BENCHMARKS.md, keep the others; each section names its run
//     --list                      the families, then exit
// A full run (no --only, no --out) writes BENCHMARKS.md and bench/results/<time>.json; a run
// with --only and no --out writes no file, unless --update (then BENCHMARKS.md and the JSON). The markdown also goes to stdout. The exit code is 1
// when any measurement failed (a lost line, a wrong exit code, a crash).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { FAMILY_MODULES } from './families.mjs';
import { createContext } from './lib/context.mjs';
import { checkFamily, checkPrepared } from './lib/family.mjs';
import { measureRounds } from './lib/measure.mjs';
import { renderJson, renderMarkdown } from './lib/render.mjs';
import { splice } from './lib/splice.mjs';
import { summarise } from './lib/summarise.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const log = (message) => console.error(`bench: ${message}`);

function options() {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', multiple: true },
      rounds: { type: 'string' },
      out: { type: 'string' },
      'no-build': { type: 'boolean' },
      list: { type: 'boolean' },
      update: { type: 'boolean' },
    },
  });
  const rounds = Number(values.rounds ?? process.env.BENCH_ROUNDS ?? 7);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds / BENCH_ROUNDS: ${rounds} is not a count`);
  const only = (values.only ?? []).flatMap((o) => o.split(',')).filter((o) => o !== '');
  const update = values.update === true;
  if (update && (only.length === 0 || only.some((o) => o.includes('/')) || values.out !== undefined)) {
    throw new Error(
      '--update replaces whole families of BENCHMARKS.md: give --only FAMILY[,...] (no /GROUP), no --out',
    );
  }
  return { rounds, only, out: values.out, build: !values['no-build'], list: values.list === true, update };
}

async function loadFamilies() {
  const families = [];
  for (const rel of FAMILY_MODULES) {
    const file = path.resolve(here, rel);
    const family = (await import(pathToFileURL(file).href)).default;
    checkFamily(family, path.relative(root, file));
    if (families.some((f) => f.name === family.name)) throw new Error(`bench: two families named ${family.name}`);
    families.push(family);
  }
  return families;
}

/** The families --only selects, each with the groups it keeps (null: all). */
function select(families, only) {
  if (only.length === 0) return families.map((family) => ({ family, groups: null }));
  const known = new Set(families.map((f) => f.name));
  for (const o of only) {
    if (!known.has(o.split('/')[0])) {
      throw new Error(`--only ${o}: no such family (there are: ${[...known].join(', ')})`);
    }
  }
  return families
    .filter((f) => only.some((o) => o.split('/')[0] === f.name))
    .map((family) => {
      const wanted = only.filter((o) => o.split('/')[0] === family.name);
      return { family, groups: wanted.includes(family.name) ? null : wanted.map((o) => o.split('/')[1]) };
    });
}

function machine(rounds) {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown CPU',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    date: new Date().toISOString(),
    rounds,
  };
}

async function main() {
  const opts = options();
  const families = await loadFamilies();
  if (opts.list) {
    for (const f of families) console.log(`${f.name}: ${f.title}`);
    console.log('(--only NAME/GROUP runs one group: the group ids are in the JSON of a run, and in the family module)');
    return 0;
  }
  const selected = select(families, opts.only);
  if (opts.build) {
    log('building pidns-tree');
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const { ctx, close } = await createContext(root, { log });
  // A detached supervisor outlives us: clean up on every way out, Ctrl-C included.
  process.on('exit', close);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      close();
      process.exit(128 + os.constants.signals[signal]);
    });
  }

  const prepared = [];
  for (const { family, groups } of selected) {
    log(`preparing ${family.name}`);
    const p = await family.prepare(ctx);
    if (p?.cleanup) ctx.onCleanup(p.cleanup);
    checkPrepared(family, p);
    if (groups !== null) {
      const unknown = groups.filter((g) => !p.groups.some((x) => x.id === g));
      if (unknown.length > 0) {
        throw new Error(`--only ${family.name}/${unknown[0]}: no such group (${p.groups.map((g) => g.id).join(', ')})`);
      }
      p.groups = p.groups.filter((g) => groups.includes(g.id));
      p.checks = (p.checks ?? []).filter((c) => groups.includes(c.of.group) && groups.includes(c.over.group));
    }
    prepared.push({ family, prepared: p });
  }
  const records = await measureRounds(prepared, { rounds: opts.rounds, log });
  close();

  const summary = summarise(prepared, records);
  const about = machine(opts.rounds);
  const full = (opts.only.length === 0 && opts.out === undefined) || opts.update;
  const mdFile = opts.out !== undefined ? path.resolve(opts.out) : full ? path.join(root, 'BENCHMARKS.md') : undefined;
  let jsonFile;
  if (opts.out !== undefined) jsonFile = path.resolve(opts.out).replace(/(\.md)?$/, '.json');
  else if (full) jsonFile = path.join(root, 'bench', 'results', `${about.date.replace(/[:.]/g, '-')}.json`);
  let notes = '';
  try {
    notes = readFileSync(path.join(here, 'NOTES.md'), 'utf8');
  } catch {}
  const md = renderMarkdown(summary, {
    machine: about,
    resultsFile: jsonFile && (jsonFile.startsWith(`${root}${path.sep}`) ? path.relative(root, jsonFile) : jsonFile),
    notes: `\n${notes}`,
  });
  if (jsonFile) {
    mkdirSync(path.dirname(jsonFile), { recursive: true });
    writeFileSync(jsonFile, renderJson(summary, { machine: about, records }));
  }
  if (mdFile) {
    const titles = families.map((f) => f.title);
    writeFileSync(mdFile, opts.update ? splice(readFileSync(mdFile, 'utf8'), md, titles) : md);
  }
  console.log(md);
  const shown = (file) => (file.startsWith(`${process.cwd()}${path.sep}`) ? path.relative(process.cwd(), file) : file);
  if (mdFile) log(`wrote ${shown(mdFile)}${jsonFile ? ` and ${shown(jsonFile)}` : ''}`);
  if (summary.failures.length > 0) {
    log(`${summary.failures.length} measurement(s) failed: see "Failed measurements" in the tables`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
