/** The files of examples/rules, as text, by name (scripts/build-ui.mjs makes this module). */
declare module 'pidns-tree:examples' {
  const examples: Readonly<Record<string, string>>;
  export default examples;
}
