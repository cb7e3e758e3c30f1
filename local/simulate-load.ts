/**
 * The office-hours load model of `autopilot schedule simulate`: how many users want a session at
 * an instant. Deliberately simple and documented, so a short minute points at the schedule, not
 * at the model: on working days (Mon-Fri, not a holiday of the schedule) users log in from the
 * `begin` of the day's working period (the daytime period with the largest capacity that runs
 * that day: the capacity is promised from then on) over 90 minutes, and log off over the 75
 * minutes ending 15 minutes before its `end`, local time in the schedule's zone; nobody works at
 * night, at weekends or on holidays. A working day without such a period (or one shorter than
 * 3 hours) uses fixed ramps: up 08:00-09:30, down 16:30-17:45.
 */
import { Temporal } from 'temporal-polyfill';
import type { Schedule } from '../lib/schedule/config';
import { holidayOn, periodMatchers, periodWindow } from '../lib/schedule/engine';

/** Minutes after local midnight of the fixed ramps (a working day without a working period). */
export const LOAD_RAMPS = { upFrom: 8 * 60, upTo: 9 * 60 + 30, downFrom: 16 * 60 + 30, downTo: 17 * 60 + 45 };
/** Ramp lengths around a working period: up from begin, down ending `LOG_OFF_BEFORE_END` before end. */
export const RAMP_UP = 90;
export const RAMP_DOWN = 75;
export const LOG_OFF_BEFORE_END = 15;
/** Share of the schedule's largest period capacity that is the peak of users. */
export const PEAK_SHARE = 0.8;

/** The users at the peak of a working day: 80% of the largest capacity a period gives. */
export function peakUsers(schedule: Schedule): number {
  const top = Math.max(0, ...schedule.periods.map((p) => p.capacity));
  return Math.round(top * PEAK_SHARE);
}

/** The ramps (local minutes) of working day `date`: from its working period, else LOAD_RAMPS. */
export function rampsOn(schedule: Schedule, date: Temporal.PlainDate): typeof LOAD_RAMPS {
  let best: { capacity: number; begin: number; end: number } | undefined;
  for (const p of schedule.periods) {
    const { begin, end, overnight } = periodWindow(p);
    if (overnight || end - begin < 180 || !periodMatchers(p).every((m) => m(date))) continue;
    if (!best || p.capacity > best.capacity) best = { capacity: p.capacity, begin, end };
  }
  if (!best) return LOAD_RAMPS;
  const downTo = best.end - LOG_OFF_BEFORE_END;
  return { upFrom: best.begin, upTo: best.begin + RAMP_UP, downFrom: downTo - RAMP_DOWN, downTo };
}

/** Users wanting a session at `at` (epoch ms). */
export function demandAt(schedule: Schedule, at: number, peak = peakUsers(schedule)): number {
  const local = Temporal.Instant.fromEpochMilliseconds(at).toZonedDateTimeISO(schedule.timezone);
  const date = local.toPlainDate();
  if (local.dayOfWeek > 5 || holidayOn(schedule, date)) return 0;
  const m = local.hour * 60 + local.minute;
  const { upFrom, upTo, downFrom, downTo } = rampsOn(schedule, date);
  let share = 0;
  // The first minute of the ramp already has someone waiting: a fleet must be up at `begin`.
  if (m >= upFrom && m < upTo) share = (m - upFrom + 1) / (upTo - upFrom);
  else if (m >= upTo && m < downFrom) share = 1;
  else if (m >= downFrom && m < downTo) share = 1 - (m - downFrom) / (downTo - downFrom);
  return share > 0 ? Math.max(1, Math.round(peak * share)) : 0;
}
