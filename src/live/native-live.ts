/**
 * The binding's live-tree calls. The state root, the tree directories and the control socket
 * are found and checked by pidns-core (Rust), the same code the supervisor uses; its errors come
 * with their code (STATE_UNSAFE, UNKNOWN_TREE, TREE_GONE) and become PidnsTreeErrors here.
 */
import { nativeError } from '../errors.js';
import { native, type NativeTerminal } from '../native.js';

/** Runs a binding call, turning its coded errors into PidnsTreeErrors. */
export function liveCall<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw nativeError(error, 'TREE_GONE');
  }
}

export const live = {
  stateRoot: (): string => liveCall(() => native().liveStateRoot()),
  list: () => liveCall(() => native().liveList()),
  /** The version of the live protocol this build speaks. */
  protocol: (): number => liveCall(() => native().liveProtocol()),
  /** Stops a tree by signals only (see stopBySignal): `SIGTERM`, `SIGKILL` or `SIGTERM to its supervisor`. */
  stopBySignal: (id: string, graceMs: number): string => liveCall(() => native().liveStopBySignal(id, graceMs)),
  /** `timeoutMs`: give up when the supervisor does not answer by then (none for exec and wait). */
  request: (id: string, body: string, passStdio: boolean, timeoutMs?: number): string =>
    liveCall(() => native().liveRequest(id, body, passStdio, timeoutMs)),
  /** The same off the JavaScript thread: a request that waits (`events`) blocks nothing. */
  requestAsync: async (id: string, body: string, timeoutMs: number): Promise<string> => {
    try {
      return await native().liveRequestAsync(id, body, timeoutMs);
    } catch (error) {
      throw nativeError(error, 'TREE_GONE');
    }
  },
  /** An exec on `terminal` (its slave goes along); resolves with the reply at the command's exit. */
  execOnTerminal: async (id: string, body: string, terminal: NativeTerminal): Promise<string> => {
    try {
      return await native().liveExecOnTerminal(id, body, terminal);
    } catch (error) {
      throw nativeError(error, 'TREE_GONE');
    }
  },
};
