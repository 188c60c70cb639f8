/**
 * `spawnTree`'s `onEvent`: the caller's callback, given every event of the tree as the event
 * log reads it, from the first. Its failure is the tree's: a callback that throws has missed
 * an event (and will miss the rest), so the tree is killed and the error is handed to the
 * caller, with what the callback threw as its `cause`, rather than lost in the log's pump.
 */
import { PidnsTreeError } from '../errors.js';
import type { TreeEvent } from '../events.js';

/** Called synchronously with each event, in order; its return value is ignored. */
export type OnEvent = (event: TreeEvent) => void;

/** `start of root/a:worker`, `end`: which event a failure came on. */
function describe(event: TreeEvent): string {
  if (event.event === 'end') return 'the end event';
  const whose = 'process' in event ? `${event.node}:${event.process}` : event.node;
  return `the ${event.event} event of ${whose}`;
}

export class OnEventHandler {
  readonly #callback: OnEvent;
  readonly #kill: () => void;
  #failure: PidnsTreeError | undefined;
  #reported = false;

  /** `kill` ends the tree at once; called once, when the callback first throws. */
  constructor(callback: OnEvent, kill: () => void) {
    this.#callback = callback;
    this.#kill = kill;
  }

  /** Gives the callback `event`, unless it has thrown before (then nothing more is given). */
  deliver(event: TreeEvent): void {
    if (this.#failure !== undefined) return;
    try {
      this.#callback(event);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      let killed = 'the tree had ended';
      if (event.event !== 'end') {
        killed = 'the tree was killed';
        try {
          this.#kill();
        } catch (killError) {
          // Said, not hidden: the tree then ends by itself, or with this process at the latest.
          killed = `killing the tree failed: ${killError instanceof Error ? killError.message : String(killError)}`;
        }
      }
      this.#failure = new PidnsTreeError(
        'ON_EVENT_FAILED',
        `onEvent threw on ${describe(event)}: ${why}; ${killed}`,
        [],
        {
          cause: error,
        },
      );
    }
  }

  /** The failure, if the callback threw; from then on it counts as handed to the caller. */
  report(): PidnsTreeError | undefined {
    if (this.#failure !== undefined) this.#reported = true;
    return this.#failure;
  }

  /** The failure, if the callback threw, whether or not the caller has been told. */
  get failure(): PidnsTreeError | undefined {
    return this.#failure;
  }

  /** The failure, if the callback threw and nothing has handed it to the caller yet. */
  get unreported(): PidnsTreeError | undefined {
    return this.#reported ? undefined : this.#failure;
  }
}
