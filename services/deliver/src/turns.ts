/**
 * Batches and housekeeping of one projection take turns: one turn at a time, from reading the state to
 * the end of its transaction. A sweep between a batch's reading and its commit would otherwise be
 * overwritten in the feed by the older rows the batch had taken.
 */

/** A taker of turns: each call waits for the turn before it to be released, and gives the release of its own. */
export function createTurns(): () => Promise<() => void> {
  let last: Promise<void> = Promise.resolve();
  return async (): Promise<() => void> => {
    const previous = last;
    let release!: () => void;
    last = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    return release;
  };
}
