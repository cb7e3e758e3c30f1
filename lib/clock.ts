/**
 * "Now", injected into every workflow's deps (pipeline, fleet schedule) so cores never read the
 * wall clock: deployed it is the system clock, locally the emulator's virtual clock, in tests a
 * fixed or stepped one.
 */
export interface Clock {
  /** Epoch ms. */
  now(): number;
}

/** The wall clock (what the deployed Lambda deps use). */
export const systemClock: Clock = { now: () => Date.now() };
