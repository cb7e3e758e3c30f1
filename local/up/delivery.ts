/**
 * The local stand-in for the recorder's EventBridge rules while `autopilot local up` runs: the
 * emulator's CloudTrail-shaped events (connections, creations, starts) and builder-agent presence
 * heartbeats go to the connection recorder as they are logged, not only when a cleanup run starts.
 *
 * It reuses catchUpConnections (local/cleanup-events.ts) with the cursor file the local cleanup
 * runs use too, per scope of the cleanup policy, so an event is handed over once (at least once,
 * as EventBridge: the recorder ignores repeats) whichever of the two reads it first. An emulator in
 * this process says when it logs (RunningEmulator.onEvent); one in another process is polled
 * (GET /_emulator/events).
 */
import type { RunningEmulator } from '../../emulator';
import {
  type CatchUpSummary,
  catchUpConnections,
  type EventScope,
  fileCursorStore,
  recorderLocalDeps,
} from '../cleanup-events';

export interface Delivery {
  /** Reads and delivers what is new now (and whatever comes in while it runs). */
  deliver(): Promise<void>;
  stop(): Promise<void>;
}

export function startDelivery(opts: {
  source: RunningEmulator | string;
  cursorFile: string;
  scopes: EventScope[];
  roles?: Record<string, string>;
  now: () => number;
  /** Told after each catch-up that delivered something (or had something to say). */
  onDelivered?: (s: CatchUpSummary) => void;
  /**
   * Told when a catch-up fails as a whole (the cursor file can't be written, the recorder can't be
   * set up…): its events are read again at the next one. The same failure again is told once,
   * until a catch-up succeeds.
   */
  onError?: (err: Error) => void;
  /** How often an emulator in another process is polled (default 1000 ms). */
  pollMs?: number;
}): Delivery {
  const endpoint = typeof opts.source === 'string' ? opts.source : opts.source.endpoint;
  const deps = recorderLocalDeps(endpoint, { roles: opts.roles, now: opts.now });
  const cursors = fileCursorStore(opts.cursorFile);
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let lastError: string | undefined;
  const once = async () => {
    let s: CatchUpSummary;
    try {
      s = await catchUpConnections(opts.source, cursors, deps, { scopes: opts.scopes });
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      const key = `${e.name}: ${e.message}`;
      if (key !== lastError) {
        lastError = key;
        opts.onError?.(e);
      }
      return;
    }
    lastError = undefined;
    if (s.delivered || s.notes.length) opts.onDelivered?.(s);
  };
  const deliver = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        // once() reports its own failures; a throwing listener must not stop the deliveries.
        await once().catch(() => undefined);
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };
  let unsubscribe: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  if (typeof opts.source === 'string') {
    timer = setInterval(() => void deliver(), opts.pollMs ?? 1000);
    timer.unref();
  } else {
    // Logged events arrive in bursts (a call logs one, a clock jump many heartbeats): one read each.
    unsubscribe = opts.source.onEvent(() => {
      setImmediate(() => void deliver());
    });
  }
  void deliver();
  return {
    deliver,
    async stop() {
      stopped = true;
      unsubscribe?.();
      if (timer) clearInterval(timer);
      await running;
      for (const c of deps.clients) c.destroy();
    },
  };
}
