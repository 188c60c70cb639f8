/**
 * The pages' Content-Security-Policy, in one place: the server sends it as a header, and the
 * static playground build (scripts/build-ui.mjs) writes it into a `<meta>` tag. Nothing from
 * the network; scripts, styles and the model only from the page's own origin, or inline where
 * the server names the exact text by its hash (the live page: inline-page.ts).
 */

/** Inline `<script>` and `<style>` texts a page may run, each as `'sha256-…'`. */
export interface InlineHashes {
  readonly scripts?: readonly string[];
  readonly styles?: readonly string[];
}

const join = (own: string, hashes: readonly string[] = []) => [own, ...hashes].join(' ');

/** What a `<meta http-equiv>` can say (browsers ignore `frame-ancestors` there). */
export function pageCsp(inline: InlineHashes = {}): string {
  return (
    `default-src 'none'; script-src ${join("'self' 'wasm-unsafe-eval'", inline.scripts)}; ` +
    `style-src ${join("'self'", inline.styles)}; img-src 'self' data:; ` +
    "connect-src 'self'; base-uri 'none'; form-action 'none'"
  );
}

export const PAGE_CSP = pageCsp();

/** The header the server sends: the same, and no framing by other sites. */
export function headerCsp(inline: InlineHashes = {}): string {
  return `${pageCsp(inline)}; frame-ancestors 'none'`;
}

export const CSP = headerCsp();
