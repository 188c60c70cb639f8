#!/usr/bin/env node
// The web pages of `pidns-tree ui` and the playground, bundled by esbuild from src/ui/web (plain
// TypeScript and DOM: no framework, no front-end dependency) with the shared diagram code:
// - dist/ui/: what the ui server serves (live.html, playground.html, live.js, playground.js,
//   ui.css, pidns_tree.wasm); the server fills in the token (__TOKEN__), and puts ui.css and
//   live.js inside the live page (src/ui/inline-page.ts);
// - dist/playground/: the playground as static files to publish as they are (index.html,
//   playground.js, ui.css, pidns_tree.wasm), with its Content-Security-Policy in a meta tag.
// The web code is type-checked with its own tsconfig (DOM, no Node) first. The weight of each
// page (gzip -9, what a server would send compressed) goes to dist/ui/weight.json and must stay
// under 400 KB, the wasm included.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const web = path.join(root, 'src', 'ui', 'web');
const out = path.join(root, 'dist', 'ui');
const pub = path.join(root, 'dist', 'playground');
const wasm = path.join(root, 'dist', 'wasm', 'pidns_tree.wasm');
const LIMIT = 400 * 1024;

execFileSync(
  process.execPath,
  [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(web, 'tsconfig.json')],
  {
    stdio: 'inherit',
  },
);

// examples/rules/*.json and the simulate example, as text, for the playground's guides.
const examplesPlugin = {
  name: 'pidns-tree-examples',
  setup(b) {
    b.onResolve({ filter: /^pidns-tree:examples$/ }, () => ({ path: 'examples', namespace: 'pidns-tree' }));
    b.onLoad({ filter: /^examples$/, namespace: 'pidns-tree' }, () => {
      const files = {};
      for (const f of readdirSync(path.join(root, 'examples', 'rules')).sort()) {
        if (f.endsWith('.json')) files[`rules/${f}`] = readFileSync(path.join(root, 'examples', 'rules', f), 'utf8');
      }
      files['simulate/tree.json'] = readFileSync(path.join(root, 'examples', 'simulate', 'tree.json'), 'utf8');
      return { contents: `export default ${JSON.stringify(files)};`, loader: 'js' };
    });
  },
};

rmSync(out, { recursive: true, force: true });
rmSync(pub, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
mkdirSync(pub, { recursive: true });
await build({
  entryPoints: [path.join(web, 'live.ts'), path.join(web, 'playground.ts')],
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022', 'chrome111', 'firefox111', 'safari16'],
  // UI_NO_MINIFY=1 keeps names, for a profile of the pages that says which function took the time.
  minify: process.env.UI_NO_MINIFY === undefined,
  legalComments: 'none',
  plugins: [examplesPlugin],
  logLevel: 'warning',
});

const { DIAGRAM_CSS } = await import(path.join(root, 'dist', 'src', 'render', 'diagram', 'svg.js'));
const css = `${readFileSync(path.join(web, 'ui.css'), 'utf8')}\n/* the diagram (src/render/diagram/svg.ts) */\n${DIAGRAM_CSS}`;
writeFileSync(path.join(out, 'ui.css'), css);
copyFileSync(wasm, path.join(out, 'pidns_tree.wasm'));
copyFileSync(path.join(web, 'live.html'), path.join(out, 'live.html'));

const playground = readFileSync(path.join(web, 'playground.html'), 'utf8');
const fill = (text, values) => Object.entries(values).reduce((t, [k, v]) => t.replaceAll(k, v), text);
writeFileSync(
  path.join(out, 'playground.html'),
  fill(playground, {
    __ASSETS__: '/assets/',
    __QUERY__: '?token=__TOKEN__',
    __WASM__: '/assets/pidns_tree.wasm?token=__TOKEN__',
    __NAV__:
      '<a href="/?token=__TOKEN__">Live trees</a> <a href="/playground?token=__TOKEN__" aria-current="page">Playground</a>',
  }),
);
// The server's policy, as a page can carry it itself (src/ui/csp.ts).
const { PAGE_CSP: csp } = await import(path.join(root, 'dist', 'src', 'ui', 'csp.js'));
writeFileSync(
  path.join(pub, 'index.html'),
  fill(playground, { __ASSETS__: '', __QUERY__: '', __WASM__: 'pidns_tree.wasm', __NAV__: '' }).replace(
    '<meta charset="utf-8" />',
    `<meta charset="utf-8" />\n    <meta http-equiv="Content-Security-Policy" content="${csp}" />`,
  ),
);
for (const f of ['playground.js', 'ui.css', 'pidns_tree.wasm']) copyFileSync(path.join(out, f), path.join(pub, f));

// What each page weighs, gzipped as a server would send it.
const gz = (file) => gzipSync(readFileSync(path.join(out, file)), { level: 9 }).length;
const raw = (file) => readFileSync(path.join(out, file)).length;
const pages = {
  live: ['live.html', 'live.js', 'ui.css'],
  playground: ['playground.html', 'playground.js', 'ui.css', 'pidns_tree.wasm'],
};
const weight = {};
for (const [page, files] of Object.entries(pages)) {
  weight[page] = {
    files: Object.fromEntries(files.map((f) => [f, { bytes: raw(f), gzip: gz(f) }])),
    bytes: files.reduce((n, f) => n + raw(f), 0),
    gzip: files.reduce((n, f) => n + gz(f), 0),
  };
}
writeFileSync(path.join(out, 'weight.json'), `${JSON.stringify(weight, null, 2)}\n`);
for (const [page, w] of Object.entries(weight)) {
  console.error(
    `build-ui: ${page} page: ${(w.bytes / 1024).toFixed(0)} KiB, ${(w.gzip / 1024).toFixed(1)} KiB gzipped`,
  );
  if (w.gzip > LIMIT)
    throw new Error(`build-ui: the ${page} page weighs ${w.gzip} bytes gzipped, over the 400 KB budget`);
}
