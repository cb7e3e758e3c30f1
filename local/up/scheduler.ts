/**
 * EventBridge Scheduler's part in `autopilot local up`: starts the state machines serverless.yml
 * schedules, on the emulator's virtual clock. Checked a few times a real second; a schedule due by
 * then starts one execution named after the schedule and its due time (so a slot never starts
 * twice: the executions port treats the name as the idempotency key).
 *
 * The virtual clock jumps when a run waits (a pipeline's 12-minute builder launch is one jump):
 * slots passed over by a jump are folded into one execution at the newest of them, not started
 * one after another, and the fold is reported (`skipped`). EventBridge Scheduler itself starts
 * every slot ("invokes its target with 60 second precision": User Guide, "Schedule types"); on a
 * real clock nothing jumps.
 */
import type { Workflow } from '../../lib/api/executions';
import { type DeclaredSchedule, nextDue } from './schedules';

export interface Fired {
  schedule: DeclaredSchedule;
  /** Virtual epoch ms of the slot started. */
  due: number;
  executionName: string;
  /** Earlier slots folded into this one (the virtual clock jumped past them). */
  skipped: number;
}

export interface Scheduler {
  /** Each schedule's next due time (virtual epoch ms), by schedule id. */
  next(): Record<string, number | undefined>;
  /** Fires whatever is due now (also called by the timer). */
  tick(): Promise<Fired[]>;
  stop(): void;
}

const stamp = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\d{2}\.\d{3}Z$/, 'Z');

/** `<schedule id>-<yyyymmddThhmmZ>`: at most 80 letters, digits, - and _ (an execution name). */
export const slotName = (id: string, due: number) =>
  `${id.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64)}-${stamp(due)}`;

export function startScheduler(opts: {
  schedules: DeclaredSchedule[];
  now: () => number;
  start: (workflow: Workflow, name: string, input: unknown) => Promise<unknown>;
  /** Told as a slot's execution is being started. */
  onFired?: (f: Fired) => void;
  onError?: (s: DeclaredSchedule, err: Error) => void;
  /** Real ms between checks (default 250). */
  tickMs?: number;
}): Scheduler {
  const createdAt = opts.now();
  const due = new Map(opts.schedules.map((s) => [s.id, nextDue(s, createdAt - 1, createdAt)]));
  let current: Promise<Fired[]> | undefined;
  // One check at a time: a call while one runs waits for it, then checks again.
  const tick = async (): Promise<Fired[]> => {
    while (current) await current;
    current = check();
    try {
      return await current;
    } finally {
      current = undefined;
    }
  };
  const check = async (): Promise<Fired[]> => {
    const fired: Fired[] = [];
    const now = opts.now();
    for (const s of opts.schedules) {
      let slot = due.get(s.id);
      if (slot === undefined || slot > now) continue;
      let skipped = 0;
      for (
        let next = nextDue(s, slot, createdAt);
        next !== undefined && next <= now;
        next = nextDue(s, slot, createdAt)
      ) {
        slot = next;
        skipped++;
      }
      due.set(s.id, nextDue(s, now, createdAt));
      const f: Fired = { schedule: s, due: slot, executionName: slotName(s.id, slot), skipped };
      opts.onFired?.(f);
      try {
        await opts.start(s.workflow, f.executionName, s.input);
        fired.push(f);
      } catch (err) {
        opts.onError?.(s, err as Error);
      }
    }
    return fired;
  };
  const timer = setInterval(() => void tick(), opts.tickMs ?? 250);
  timer.unref();
  return {
    next: () => Object.fromEntries(due),
    tick,
    stop: () => clearInterval(timer),
  };
}
