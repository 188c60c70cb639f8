/**
 * A page with its stylesheet and script in it, and the policy that lets exactly those run. The
 * live page is one answer instead of three: under a storm of events the server is busy, and each
 * asset was one more round trip before the first picture (the page carries its data too:
 * first-picture.ts). The texts are allowed by their SHA-256 (a hash names the exact text; no
 * 'unsafe-inline'), computed here from what is put in, so that the hash cannot go stale.
 */
import { createHash } from 'node:crypto';

import { headerCsp } from './csp.js';

export interface InlinedPage {
  readonly html: string;
  /** The Content-Security-Policy header for this page. */
  readonly csp: string;
}

const hashOf = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * Puts `style` and `script` (a module) where the template says `<!--inline:style-->` and
 * `<!--inline:script-->`. Refuses a text that could end its element early.
 */
export function inlinePage(template: string, style: string, script: string): InlinedPage {
  // Also refused: what the HTML parser would change before the browser hashes the text (CR
  // becomes LF, NUL is replaced), which would no longer match its hash and be blocked.
  if (/<\/style|[\r\0]/i.test(style))
    throw new Error('the stylesheet contains "</style", CR or NUL: it cannot be inlined');
  if (/<\/script|<!--|[\r\0]/i.test(script)) {
    throw new Error('the script contains "</script", "<!--", CR or NUL: it cannot be inlined');
  }
  for (const mark of ['<!--inline:style-->', '<!--inline:script-->']) {
    if (template.split(mark).length !== 2) throw new Error(`the page must have ${mark} exactly once`);
  }
  const html = template
    .replace('<!--inline:style-->', () => `<style>${style}</style>`)
    .replace('<!--inline:script-->', () => `<script type="module">${script}</script>`);
  return { html, csp: headerCsp({ scripts: [hashOf(script)], styles: [hashOf(style)] }) };
}
