/**
 * Tells listeners about something that happened (an event logged, a response sent). Listeners
 * are the emulator's embedders' code: whatever one does, it never fails or changes what the
 * emulator answers, and never keeps another listener from hearing it.
 * - The list is copied first: a listener that unsubscribes itself (or another) while being told
 *   doesn't make the next one miss this call.
 * - A listener that throws, or returns a promise that rejects (an async listener), is reported
 *   to `onError`, never left as an unhandled rejection (which ends a Node process).
 */
export function tell<A extends unknown[]>(
  listeners: readonly ((...args: A) => unknown)[],
  args: A,
  onError: (err: unknown) => void,
): void {
  const report = (err: unknown) => {
    try {
      onError(err);
    } catch {
      // Reporting must not fail either.
    }
  };
  for (const listen of [...listeners]) {
    try {
      const result: unknown = listen(...args);
      if (isThenable(result)) result.then(undefined, report);
    } catch (err) {
      report(err);
    }
  }
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  (typeof v === 'object' || typeof v === 'function') &&
  v !== null &&
  typeof (v as { then?: unknown }).then === 'function';
