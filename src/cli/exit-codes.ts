/** The CLI's own exit codes; any other code is the tree's (see `spawn`). */
export const EXIT = {
  ok: 0,
  /** The spec (or the command line) is invalid. */
  usage: 2,
  /** pidns-tree could not start the tree (privileges, missing build), as with `docker run`. */
  cannotRun: 125,
  /** Standard output was closed by its reader (`| head`): 128 + SIGPIPE, as a shell reports it. */
  outputClosed: 141,
} as const;
