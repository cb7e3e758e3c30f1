/**
 * The office-hours load model of `autopilot schedule simulate`: how many users want a session at
 * an instant. Deliberately simple and documented, so a short minute points at the schedule, not
 * at the model: on working days (Mon-Fri, not a holiday of the schedule) users log in from 08:00
 * and all are on by 09:30, log off from 16:30 and all are gone by 17:45, local time in the
 * schedule's zone; nobody works at night, at weekends or on holidays.
 */
import { Temporal } from 'temporal-polyfill';
import type { Schedule } from '../lib/schedule/config';
import { holidayOn } from '../lib/schedule/engine';

/** Minutes after local midnight of the ramps. */
export const LOAD_RAMPS = { upFrom: 8 * 60, upTo: 9 * 60 + 30, downFrom: 16 * 60 + 30, downTo: 17 * 60 + 45 };
/** Share of the schedule's largest period capacity that is the peak of users. */
export const PEAK_SHARE = 0.8;

/** The users at the peak of a working day: 80% of the largest capacity a period gives. */
export function peakUsers(schedule: Schedule): number {
  const top = Math.max(0, ...schedule.periods.map((p) => p.capacity));
  return Math.round(top * PEAK_SHARE);
}

/** Users wanting a session at `at` (epoch ms). */
export function demandAt(schedule: Schedule, at: number, peak = peakUsers(schedule)): number {
  const local = Temporal.Instant.fromEpochMilliseconds(at).toZonedDateTimeISO(schedule.timezone);
  if (local.dayOfWeek > 5 || holidayOn(schedule, local.toPlainDate())) return 0;
  const m = local.hour * 60 + local.minute;
  const { upFrom, upTo, downFrom, downTo } = LOAD_RAMPS;
  let share = 0;
  if (m >= upFrom && m < upTo) share = (m - upFrom) / (upTo - upFrom);
  else if (m >= upTo && m < downFrom) share = 1;
  else if (m >= downFrom && m < downTo) share = 1 - (m - downFrom) / (downTo - downFrom);
  return Math.round(peak * share);
}
