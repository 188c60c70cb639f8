/**
 * The pages' Content-Security-Policy, in one place: the server sends it as a header, and the
 * static playground build (scripts/build-ui.mjs) writes it into a `<meta>` tag. Nothing from
 * the network; scripts, styles and the model only from the page's own origin.
 */

/** What a `<meta http-equiv>` can say (browsers ignore `frame-ancestors` there). */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'";

/** The header the server sends: the same, and no framing by other sites. */
export const CSP = `${PAGE_CSP}; frame-ancestors 'none'`;
