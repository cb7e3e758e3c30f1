/**
 * `autopilot schedule simulate`: the fleet-schedule workflow every 5 virtual minutes for N days
 * on the embedded emulator, with users opening and closing sessions by the office-hours load model
 * (simulate-load.ts) through the emulator's control API. Measures, per fleet: capacity over
 * time, the minutes where users were refused a session for lack of capacity, and the sessions that
 * ended without their user signing out (cut off: must be 0).
 */
import { Temporal } from 'temporal-polyfill';
import { type RunningEmulator, startEmulator } from '../emulator';
import type { FleetRec } from '../emulator/records';
import type { ChartPoint } from '../lib/schedule/chart';
import { type Schedule, type ScheduleFile, validateScheduleFile } from '../lib/schedule/config';
import { capacityAt } from '../lib/schedule/engine';
import { LOCAL_ACCOUNT } from './local-deps';
import { runScheduleLocally } from './schedule';
import { seedTypeOf } from './schedule-seed';
import { demandAt, peakUsers } from './simulate-load';
import { type SeedFleet, seedFleets } from './simulate-seed';

const MINUTE = 60_000;
const DEFAULT_REGION = 'us-east-1';

export interface SimulateOptions {
  /** The schedule file (parsed YAML/JSON). */
  config: unknown;
  days: number;
  /** Start (epoch ms); default: the next Monday 00:00 in the first fleet's schedule's zone. */
  from?: number;
  /** Minutes between workflow runs (the EventBridge schedule's rate): 5. */
  cadenceMinutes?: number;
  /** Called after each simulated local day (progress). */
  onDay?: (done: number, of: number) => void;
}

export interface FleetSimulation {
  fleet: string;
  region: string;
  schedule: string;
  timezone: string;
  /** Effective capacity (0 while the fleet isn't RUNNING) after each run, where it changed. */
  capacity: ChartPoint[];
  peakUsers: number;
  peakSessions: number;
  /** Minutes where some users wanting a session were refused one. */
  shortMinutes: number;
  /** Session attempts refused (a waiting user tries again every minute). */
  refusedAttempts: number;
  /** Sessions that ended without their user signing out (the fleet stopped or shrank under them). */
  cutOff: number;
  /** Runs whose report listed this fleet as failed. */
  failedRuns: number;
}

export interface Simulation {
  from: number;
  to: number;
  cadenceMinutes: number;
  runs: number;
  failedExecutions: number;
  transitions: number;
  wallMs: number;
  fleets: FleetSimulation[];
}

interface Tracked {
  seed: SeedFleet;
  sim: FleetSimulation;
  schedule: Schedule;
  /** Sessions our users hold (ids). */
  open: Set<string>;
}

/**
 * The fleets a simulation seeds: each named fleet (typed by its name, like `schedule run --local`),
 * and one ALWAYS_ON fleet per schedule for each tag selector, tagged with that schedule.
 */
export function simulatedFleets(file: ScheduleFile): { seed: SeedFleet; schedule: string }[] {
  const out: { seed: SeedFleet; schedule: string }[] = [];
  for (const sel of file.fleets) {
    const region = sel.region ?? DEFAULT_REGION;
    if ('name' in sel) {
      // The type its name suggests, as `schedule run --local` seeds (schedule-seed.ts).
      out.push({
        seed: { name: sel.name, region, type: seedTypeOf(sel.name), capacity: 1 },
        schedule: sel.schedule,
      });
      continue;
    }
    for (const schedule of Object.keys(file.schedules)) {
      const name = `tagged-${schedule}`.replace(/[^a-zA-Z0-9_.-]/g, '-').slice(0, 100);
      out.push({
        seed: { name, region, type: 'ALWAYS_ON', capacity: 1, tags: { [sel.tag]: schedule } },
        schedule,
      });
    }
  }
  return out;
}

/** The next Monday 00:00 (local) after `now` in `zone`. */
export function nextMonday(now: number, zone: string): number {
  const today = Temporal.Instant.fromEpochMilliseconds(now).toZonedDateTimeISO(zone).toPlainDate();
  return today.add({ days: 8 - today.dayOfWeek }).toZonedDateTime({ timeZone: zone }).epochMilliseconds;
}

/** Runs the simulation on its own in-process emulator (its clock frozen but for our advances). */
export async function simulateSchedule(opts: SimulateOptions): Promise<Simulation> {
  const file = validateScheduleFile(opts.config);
  const fleets = simulatedFleets(file);
  if (fleets.length === 0) throw new Error('the schedule file selects no fleets: nothing to simulate');
  const zone = file.schedules[fleets[0].schedule].timezone;
  const from = opts.from ?? nextMonday(Date.now(), zone);
  const to = from + opts.days * 24 * 60 * MINUTE;
  const cadence = (opts.cadenceMinutes ?? 5) * MINUTE;
  // Fleets take ~10 min to start and ~5 to reach capacity: seeded 30 min early, they're up at `from`.
  const emu = await startEmulator({ seed: 1, jitterSigma: 0, speed: 1e-9, start: from - 30 * MINUTE });
  const t0 = Date.now();
  try {
    await seedFleets(
      emu,
      fleets.map((f) => ({
        ...f.seed,
        capacity: Math.max(1, capacityAt(file.schedules[f.schedule], from).capacity),
      })),
    );
    advanceTo(emu, from);
    const tracked: Tracked[] = fleets.map(({ seed, schedule }) => ({
      seed,
      schedule: file.schedules[schedule],
      open: new Set(),
      sim: {
        fleet: seed.name,
        region: seed.region,
        schedule,
        timezone: file.schedules[schedule].timezone,
        capacity: [],
        peakUsers: peakUsers(file.schedules[schedule]),
        peakSessions: 0,
        shortMinutes: 0,
        refusedAttempts: 0,
        cutOff: 0,
        failedRuns: 0,
      },
    }));
    const totals = { runs: 0, failedExecutions: 0, transitions: 0 };
    const dayMs = 24 * 60 * MINUTE;
    for (let t = from; t < to; t += MINUTE) {
      advanceTo(emu, t);
      if ((t - from) % cadence === 0) await runOnce(emu, opts.config, tracked, t, totals);
      for (const f of tracked) users(emu, f, t);
      if ((t + MINUTE - from) % dayMs === 0) opts.onDay?.((t + MINUTE - from) / dayMs, opts.days);
    }
    return {
      from,
      to,
      cadenceMinutes: cadence / MINUTE,
      ...totals,
      wallMs: Date.now() - t0,
      fleets: tracked.map((f) => f.sim),
    };
  } finally {
    await emu.stop();
  }
}

/** Moves the virtual clock forward to `t` (a run may already have taken it past). */
function advanceTo(emu: RunningEmulator, t: number) {
  const now = emu.world.now();
  if (t > now) emu.control.advance(t - now);
}

async function runOnce(
  emu: RunningEmulator,
  config: unknown,
  tracked: Tracked[],
  t: number,
  totals: { runs: number; failedExecutions: number; transitions: number },
) {
  const { result, report } = await runScheduleLocally({ config, emulator: emu });
  totals.runs++;
  totals.transitions += result.transitions;
  if (result.status !== 'SUCCEEDED') totals.failedExecutions++;
  for (const f of tracked) {
    if (report.failed.some((name) => name === f.seed.name || name.startsWith(`${f.seed.name}@`)))
      f.sim.failedRuns++;
    const capacity = effectiveCapacity(fleetRec(emu, f));
    const reason = capacityAt(f.schedule, t).reason;
    const last = f.sim.capacity.at(-1);
    if (!last || last.capacity !== capacity || last.reason !== reason)
      f.sim.capacity.push({ at: t, capacity, reason });
  }
}

const fleetRec = (emu: RunningEmulator, f: Tracked): FleetRec | undefined => {
  emu.world.settle(f.seed.region);
  return emu.world.store(LOCAL_ACCOUNT, f.seed.region).fleets.get(f.seed.name);
};

/** Capacity users can get, in the fleet's unit: 0 unless RUNNING. */
function effectiveCapacity(rec: FleetRec | undefined): number {
  if (rec?.state !== 'RUNNING') return 0;
  if (rec.fleetType === 'ELASTIC') return Number(rec.attrs.MaxConcurrentSessions ?? 0);
  return rec.desiredSessions ?? rec.desired;
}

/** One minute of users on a fleet: notice cut-offs, sign the surplus out, log the wanting in. */
function users(emu: RunningEmulator, f: Tracked, t: number) {
  const { region, name } = f.seed;
  emu.world.settle(region);
  const live = new Set(
    emu.world
      .store(LOCAL_ACCOUNT, region)
      .fleetSessions(name)
      .map((s) => s.id),
  );
  for (const id of f.open)
    if (!live.has(id)) {
      f.open.delete(id);
      f.sim.cutOff++;
    }
  const demand = demandAt(f.schedule, t, f.sim.peakUsers);
  if (f.open.size > demand) {
    const out = emu.control.sessions({
      accountId: LOCAL_ACCOUNT,
      region,
      fleet: name,
      close: f.open.size - demand,
    });
    for (const id of out.closed) f.open.delete(id);
  } else if (f.open.size < demand) {
    const out = emu.control.sessions({
      accountId: LOCAL_ACCOUNT,
      region,
      fleet: name,
      open: demand - f.open.size,
    });
    for (const id of out.opened) f.open.add(id);
    if (out.refused > 0) {
      f.sim.shortMinutes++;
      f.sim.refusedAttempts += out.refused;
    }
  }
  f.sim.peakSessions = Math.max(f.sim.peakSessions, f.open.size);
}
