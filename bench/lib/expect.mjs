// Sizes and counts are asserted: a run that loses a line, or ends with another code, is a failed
// measurement (the harness records why), never a number.

/** Throws `what: got X, expected Y` unless they are equal. */
export function expectEqual(what, got, want) {
  if (got !== want) throw new Error(`${what}: got ${got}, expected ${want}`);
}
