/**
 * Local wall time → instant in a zone, with the schedule's DST rules, using Temporal (no
 * hand-written tz math):
 * - a wall time that doesn't exist (skipped by a spring-forward gap) takes effect at the first
 *   instant after the gap, i.e. at the transition (02:30 in a 02:00→03:00 jump = 03:00);
 *   Temporal's 'compatible'/'later' would shift it by the gap length (03:30), so we ask for the
 *   instant before the gap ('earlier') and take the next transition;
 * - a wall time that occurs twice (fall-back) takes effect at its first occurrence ('earlier').
 */
import { Temporal } from 'temporal-polyfill';

export const MINUTES_PER_DAY = 1440;

/** Epoch ms at which local `minute` (0..1440; 1440 = 24:00 = next day's 00:00) of `date` takes effect. */
export function wallToInstant(date: Temporal.PlainDate, minute: number, zone: string): number {
  const day = minute >= MINUTES_PER_DAY ? date.add({ days: 1 }) : date;
  const m = minute % MINUTES_PER_DAY;
  return plainToInstant(day.toPlainDateTime({ hour: Math.floor(m / 60), minute: m % 60 }), zone);
}

/** Epoch ms at which a local date-time takes effect in `zone` (gap: after it; fold: first). */
export function plainToInstant(wall: Temporal.PlainDateTime, zone: string): number {
  const earlier = wall.toZonedDateTime(zone, { disambiguation: 'earlier' });
  if (Temporal.PlainDateTime.compare(earlier.toPlainDateTime(), wall) === 0) return earlier.epochMilliseconds;
  // In a gap: 'earlier' landed before it; the gap ends at the next transition.
  const transition = earlier.getTimeZoneTransition('next');
  return (transition ?? earlier).epochMilliseconds;
}

/** The local calendar date of an instant in a zone. */
export function localDate(at: number, zone: string): Temporal.PlainDate {
  return Temporal.Instant.fromEpochMilliseconds(at).toZonedDateTimeISO(zone).toPlainDate();
}
