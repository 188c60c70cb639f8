/**
 * The package root (where package.json, native/ and schema/ are). This module is
 * dist/src/package-root.js, or part of the CLI bundle dist/cli/pidns-tree.js: either way two
 * directories below the root.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
