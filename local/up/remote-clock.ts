/**
 * The virtual clock of an emulator in another process (`autopilot emulator`, or `local up`),
 * mirrored here: `now()` is synchronous (the local runtime and the emulated builder agent read
 * it between calls) and follows the emulator's `speed` × real time; `advance(ms)` moves the mirror
 * at once and the emulator through `POST /_emulator/clock`, in order. SDK clients wait for the
 * advances sent before their call (`settled()`), so the emulator has reached the time a run's
 * Wait state jumped to before it is asked what happened by then.
 */
export class RemoteClock {
  private base = 0;
  private baseReal = 0;
  private speed = 1;
  private queue: Promise<void> = Promise.resolve();
  private failure?: Error;

  private constructor(private readonly endpoint: string) {}

  static async connect(endpoint: string): Promise<RemoteClock> {
    const clock = new RemoteClock(endpoint.replace(/\/$/, ''));
    clock.sync(await clock.call('GET'));
    return clock;
  }

  private async call(method: 'GET' | 'POST', body?: unknown): Promise<{ now: number; speed: number }> {
    const res = await fetch(`${this.endpoint}/_emulator/clock`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : undefined,
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok)
      throw new Error(
        `${this.endpoint}: ${method} /_emulator/clock answered ${res.status}: ${await res.text()}`,
      );
    return (await res.json()) as { now: number; speed: number };
  }

  private sync(c: { now: number; speed: number }): void {
    this.base = c.now;
    this.baseReal = Date.now();
    this.speed = c.speed;
  }

  now(): number {
    return this.base + (Date.now() - this.baseReal) * this.speed;
  }

  advance(ms: number): void {
    if (ms <= 0) return;
    this.base += ms;
    this.queue = this.queue
      .then(() => this.call('POST', { advanceMs: ms }))
      .then(
        (c) => this.sync(c),
        (err: Error) => {
          this.failure = err;
        },
      );
  }

  /** Resolves once every advance sent so far is applied; rejects if one failed. */
  async settled(): Promise<void> {
    await this.queue;
    if (this.failure) throw this.failure;
  }
}
