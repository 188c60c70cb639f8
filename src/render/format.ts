/** Small text helpers shared by the renderers; the ones that need no Node live in words.ts. */
import { plain, type Style } from './words.js';

export { counted, describeExit, pidChain, plain, shellWords, truncate, type Style } from './words.js';

const ansi: Style = {
  bold: (t) => `\u001b[1m${t}\u001b[22m`,
  dim: (t) => `\u001b[2m${t}\u001b[22m`,
  red: (t) => `\u001b[31m${t}\u001b[39m`,
};

/** Colours only for a terminal, and never when NO_COLOR is set (no-color.org). */
export function styleFor(stream: NodeJS.WriteStream): Style {
  const wanted = stream.isTTY === true && process.env['NO_COLOR'] === undefined;
  return wanted ? ansi : plain;
}
