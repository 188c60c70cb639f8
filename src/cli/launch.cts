/**
 * What bin/pidns-tree.js runs: the CLI bundle (dist/cli/pidns-tree.cjs, see
 * scripts/build-cli.mjs), through Node's compile cache where Node has one (>= 22.1), so that
 * a start does not parse and compile yargs again.
 *
 * CommonJS (.cts) because a CommonJS entry skips Node's ESM loader, which a start pays for.
 */
import Module = require('node:module');
import path = require('node:path');

interface Cli {
  main(argv: readonly string[]): Promise<number>;
}

const bundle = path.join(__dirname, '..', '..', 'cli', 'pidns-tree.cjs');

(Module as typeof Module & { enableCompileCache?: () => unknown }).enableCompileCache?.();
void (require(bundle) as Cli).main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
