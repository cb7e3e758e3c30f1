/** Source of real time in ms; injected so tests can drive it. */
export type RealTime = () => number;

/**
 * Virtual clock: runs at `speed` × real time from `start`, plus whatever was advanced by hand.
 * All lifecycle durations are measured on this clock.
 */
export class VirtualClock {
  private baseVirtual: number;
  private baseReal: number;

  constructor(
    private speedFactor = 1,
    start = Date.now(),
    private readonly real: RealTime = Date.now,
  ) {
    this.baseVirtual = start;
    this.baseReal = real();
  }

  now(): number {
    return this.baseVirtual + (this.real() - this.baseReal) * this.speedFactor;
  }

  get speed(): number {
    return this.speedFactor;
  }

  /** Changes the speed from now on, without jumping. */
  setSpeed(speed: number): void {
    this.rebase();
    this.speedFactor = speed;
  }

  advance(ms: number): void {
    this.rebase();
    this.baseVirtual += ms;
  }

  /** Sets the virtual time (used when restoring a saved state). */
  set(ms: number): void {
    this.baseVirtual = ms;
    this.baseReal = this.real();
  }

  private rebase(): void {
    this.baseVirtual = this.now();
    this.baseReal = this.real();
  }
}
