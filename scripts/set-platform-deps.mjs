#!/usr/bin/env node
// At release time only: make the main package (the package.json in DIR, default .) depend on
// each platform package in npm/, at its own version, as optionalDependencies. npm then installs
// the one that fits the machine (their os/cpu/libc fields) and skips the others.
// Kept out of the repository's package.json: until they are published, those names are not
// ours on the registry, and an install must never fetch a stranger's binary under them.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.resolve(process.argv[2] ?? '.');
const file = path.join(dir, 'package.json');
const pkg = JSON.parse(readFileSync(file, 'utf8'));
pkg.optionalDependencies = Object.fromEntries(
  readdirSync(path.join(root, 'npm')).map((platform) => [`${pkg.name}-${platform}`, pkg.version]),
);
writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
console.log(`${file}: optionalDependencies ${Object.keys(pkg.optionalDependencies).join(', ')}`);
