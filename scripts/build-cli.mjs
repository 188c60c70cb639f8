#!/usr/bin/env node
// The CLI as one CommonJS file, dist/cli/pidns-tree.cjs, bundled by esbuild from tsc's output
// (dist/src/cli/main.js) with yargs and its dependencies inside; bin/pidns-tree.js loads it
// through dist/src/cli/launch.cjs. What a start of `pidns-tree validate` saves this way:
// - one file instead of ~65 modules (yargs alone is ~45), and no ESM loader: Node resolves,
//   reads, links and evaluates each ES module separately, and the ESM view of a builtin such
//   as node:fs touches every export (fs.ReadStream loads the whole streams stack);
// - a CommonJS file can go through vm.Script with a V8 code cache on Node 20 (launch.cts).
// Command modules stay lazy inside the bundle: esbuild turns `await import()` of a bundled
// module into a deferred initialiser, and the builtins those modules require go with them.
// The public API (dist/src/index.js) is not bundled.
//
// Adjustments to what is bundled, each checked here so that a dependency update that
// invalidates one fails the build instead of changing the CLI:
// - yargs finds its translations (locales/*.json) relative to its own module. In the bundle
//   that module is dist/cli/pidns-tree.cjs: the locales are copied to dist/cli/locales/ and the
//   one line of yargs that names their directory is pointed there.
// - string-width (three copies, used by yargs and cliui to lay out help) builds an
//   Intl.Segmenter (~15 ms) and a /\p{RGI_Emoji}/v regex (~20 ms) when its module is
//   evaluated. Each import of it gets a stand-in that answers printable ASCII itself (one
//   column per character, as string-width 8 does in its own fast path) and loads the real one
//   on first use for anything else (translations, colours, wide characters).
// - Once it has started a command's handler, yargs renders that command's whole help (cliui
//   layout, a locale file read) and keeps it, to print should the handler's promise reject
//   and no .fail() handler take over. main.ts's .fail() throws instead of printing, so that
//   help is never shown: it is not rendered (~3 ms of every command that runs a handler).
//   Keep this in mind before main.ts prints yargs' help from a handler or stops using .fail().
// - yargs guesses a version from the package.json above its node_modules; in the bundle that
//   is the package root (dist/cli/../..), not the working directory and its parents.
// - yargs imports node:assert for two checks it makes on every start (strictEqual and
//   notStrictEqual); loading assert creates the process.stderr stream (and loads node:net
//   for a pipe). A stand-in makes the same Object.is test and loads assert only to fail.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'cli');
const require = createRequire(import.meta.url);
const yargsRoot = path.dirname(require.resolve('yargs/package.json'));

/** Replaces `from` by `to` in a file's text, exactly once. */
function replaceOnce(file, text, from, to) {
  const count = text.split(from).length - 1;
  if (count !== 1)
    throw new Error(
      `${file}: expected ${JSON.stringify(from)} once, found it ${count} times (a dependency changed: update scripts/build-cli.mjs)`,
    );
  return text.replace(from, () => to);
}

const startupPlugin = {
  name: 'pidns-tree-cli-startup',
  setup(b) {
    b.onLoad({ filter: /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/ }, (args) => {
      let text = readFileSync(args.path, 'utf8');
      text = replaceOnce(
        args.path,
        text,
        "directory: resolve(__dirname, '../../../locales'),",
        "directory: fileURLToPath(new URL('./locales', import.meta.url)),",
      );
      text = replaceOnce(
        args.path,
        text,
        "import { notStrictEqual, strictEqual } from 'assert'",
        "import { notStrictEqual, strictEqual } from 'pidns-tree:lazy-assert'",
      );
      // Where yargs looks for a package.json (for the version it guesses before ours is set):
      // the directory above the node_modules it was loaded from, else the working directory,
      // which it would walk up (readdir at every level) to the user's own package.json.
      text = replaceOnce(
        args.path,
        text,
        "const mainFilename = __dirname.substring(0, __dirname.lastIndexOf('node_modules'));",
        "const mainFilename = fileURLToPath(new URL('../../', import.meta.url));",
      );
      return { contents: text, loader: 'js' };
    });
    b.onLoad({ filter: /[\\/]yargs[\\/]build[\\/]lib[\\/]command\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const from = 'yargs.getInternalMethods().getUsageInstance().cacheHelpMessage();';
      return {
        contents: replaceOnce(
          args.path,
          text,
          from,
          '/* pidns-tree: no help rendered for a handler that runs (scripts/build-cli.mjs) */',
        ),
        loader: 'js',
      };
    });
    b.onResolve({ filter: /^pidns-tree:lazy-assert$/ }, () => ({ path: 'lazy-assert', namespace: 'pidns-tree' }));
    b.onLoad({ filter: /^lazy-assert$/, namespace: 'pidns-tree' }, () => ({
      contents: [
        // Object.is is what these two assertions test; node:assert is loaded to fail one.
        'export function notStrictEqual(actual, expected, ...rest) {',
        '  if (Object.is(actual, expected)) require("node:assert").notStrictEqual(actual, expected, ...rest);',
        '}',
        'export function strictEqual(actual, expected, ...rest) {',
        '  if (!Object.is(actual, expected)) require("node:assert").strictEqual(actual, expected, ...rest);',
        '}',
      ].join('\n'),
      loader: 'js',
    }));

    b.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.pluginData?.real === true) return undefined;
      const real = await b.resolve(args.path, {
        resolveDir: args.resolveDir,
        kind: args.kind,
        importer: args.importer,
        pluginData: { real: true },
      });
      if (real.errors.length > 0) return { errors: real.errors };
      const version = JSON.parse(readFileSync(path.join(path.dirname(real.path), 'package.json'), 'utf8')).version;
      if (!/^[78]\./.test(version))
        throw new Error(
          `${real.path}: string-width ${version}: check that printable ASCII is still one column a character, then allow it in scripts/build-cli.mjs`,
        );
      return { path: path.relative(root, real.path), namespace: 'lazy-string-width', pluginData: { real: real.path } };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-string-width' }, (args) => ({
      contents: [
        'let real;',
        'export default function stringWidth(string, options) {',
        '  if (typeof string === "string" && /^[\\x20-\\x7e]*$/.test(string)) return string.length;',
        `  real ??= require(${JSON.stringify(args.pluginData.real)}).default;`,
        '  return real(string, options);',
        '}',
      ].join('\n'),
      resolveDir: path.dirname(args.pluginData.real),
      loader: 'js',
    }));
  },
};

rmSync(out, { recursive: true, force: true });
const result = await build({
  entryPoints: [path.join(root, 'dist', 'src', 'cli', 'main.js')],
  outfile: path.join(out, 'pidns-tree.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // CommonJS has no import.meta: the bundle's own URL stands in (package root, binding, locales).
  define: { 'import.meta.url': '__pidns_tree_bundle_url' },
  banner: { js: 'const __pidns_tree_bundle_url = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [startupPlugin],
  logLevel: 'warning',
  metafile: true,
});

// launch.cts runs the bundle as a vm.Script, which has no loader for import() on Node 20.
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  const dynamic = output.imports.filter((i) => i.kind === 'dynamic-import');
  if (dynamic.length > 0)
    throw new Error(`${file}: dynamic import() of ${dynamic.map((i) => i.path).join(', ')} left in the bundle`);
}

// Every yargs locale, so that LANG=de_DE etc. read as they did before bundling.
mkdirSync(path.join(out, 'locales'), { recursive: true });
for (const f of readdirSync(path.join(yargsRoot, 'locales'))) {
  if (f.endsWith('.json')) copyFileSync(path.join(yargsRoot, 'locales', f), path.join(out, 'locales', f));
}

// The notices of what the bundle includes (MIT and ISC ask for them in every copy).
const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const match = /^(?:.*\/)?node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input.replace(/^[^:]+:/, ''));
  if (match === null) continue;
  const dir = path.join(root, input.replace(/^[^:]+:/, '').slice(0, match.index + match[0].length));
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  packages.set(`${pkg.name}@${pkg.version}`, { dir, pkg });
}
const notices = [...packages]
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([, { dir, pkg }]) => {
    const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
    if (file === undefined) throw new Error(`${dir}: no license file to include in the bundle's notices`);
    return `${pkg.name} ${pkg.version} (${pkg.license})\n\n${readFileSync(path.join(dir, file), 'utf8').trim()}\n`;
  });
writeFileSync(
  path.join(out, 'THIRD-PARTY-LICENSES.txt'),
  `dist/cli/pidns-tree.cjs includes these packages.\n\n${notices.join('\n' + '-'.repeat(72) + '\n\n')}`,
);

const inputs = Object.keys(result.metafile.inputs).length;
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.error(`build-cli: dist/cli/pidns-tree.cjs (${inputs} modules, ${(bytes / 1024).toFixed(0)} KiB)`);
