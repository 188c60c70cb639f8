/** A process started in a running tree with `tree.spawn`. */
import type net from 'node:net';

import type { ExitEvent, Pids } from '../events.js';
import type { SignalName } from '../running-tree.js';

export interface TreeProcess {
  /** Its namespace's path. */
  readonly node: string;
  /** Its name in events (`exec-1`, ...). */
  readonly name: string;
  /** Its PID at every level, as in `start` events. */
  readonly pids: Pids;
  /** Its standard input; end it when done writing. */
  readonly stdin: net.Socket;
  readonly stdout: net.Socket;
  readonly stderr: net.Socket;
  /** Signals it through its pidfd; false once it has exited. */
  kill(signal?: SignalName | number): boolean;
  /** Resolves with its `exit` event. */
  wait(): Promise<ExitEvent>;
}
