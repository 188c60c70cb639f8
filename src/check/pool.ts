/**
 * Runs jobs `jobs` at a time and hands each result over in the order of the inputs, as soon as
 * every earlier one is done: reports stay in file order whatever finishes first, and none is
 * lost (each index is delivered exactly once, also when a job throws: then the pool rejects
 * after the running jobs have settled).
 */
export async function inOrder<T, R>(
  items: readonly T[],
  jobs: number,
  run: (item: T, index: number) => Promise<R>,
  deliver: (result: R, index: number) => void,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  const done: boolean[] = new Array<boolean>(items.length).fill(false);
  let next = 0;
  let delivered = 0;
  let failure: { error: unknown } | undefined;

  const flush = (): void => {
    while (delivered < items.length && done[delivered] === true) {
      deliver(results[delivered] as R, delivered);
      delivered += 1;
    }
  };
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await run(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
        return;
      }
      done[index] = true;
      flush();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}
