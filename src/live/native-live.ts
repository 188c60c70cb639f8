/**
 * The binding's live-tree calls. The state root, the tree directories and the control socket
 * are found and checked by pidns-core (Rust), the same code the supervisor uses; its errors come
 * as `CODE: message` and become PidnsTreeErrors here.
 */
import { PidnsTreeError, type PidnsTreeErrorCode } from '../errors.js';
import { native } from '../native.js';

const CODED = /^(STATE_UNSAFE|UNKNOWN_TREE|TREE_GONE): ([\s\S]*)$/;

/** Runs a binding call, turning its coded errors into PidnsTreeErrors. */
export function liveCall<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const coded = CODED.exec(message);
    if (coded === null) throw new PidnsTreeError('TREE_GONE', message);
    throw new PidnsTreeError(coded[1] as PidnsTreeErrorCode, coded[2] ?? message);
  }
}

export const live = {
  stateRoot: (): string => liveCall(() => native().liveStateRoot()),
  list: () => liveCall(() => native().liveList()),
  /** `timeoutMs`: give up when the supervisor does not answer by then (none for exec and wait). */
  request: (id: string, body: string, passStdio: boolean, timeoutMs?: number): string =>
    liveCall(() => native().liveRequest(id, body, passStdio, timeoutMs)),
  /** The same off the JavaScript thread: a request that waits (`events`) blocks nothing. */
  requestAsync: async (id: string, body: string, timeoutMs: number): Promise<string> => {
    const pending = liveCall(() => native().liveRequestAsync(id, body, timeoutMs));
    try {
      return await pending;
    } catch (error) {
      return liveCall(() => {
        throw error;
      });
    }
  },
};
