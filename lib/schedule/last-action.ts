import { tagValue } from '../tags';

/**
 * TAG.lastAction on a fleet, written after every action the schedule takes:
 * `<UTC minute> <action> <after>/<wanted> <reason>`, e.g.
 * `2026-11-30T06:30Z resize 11/20 period workday`: at 06:30 UTC the fleet was resized to 11
 * (capped) because the schedule wanted 20 for period workday. The whole value goes through
 * tagValue (AWS's tag charset, ≤ 256 characters), so "holiday New Year's Day" is stored as
 * "holiday New Year s Day". `enforced: false` schedules compare `wanted` and `reason` with the
 * schedule's value now: equal means no change point since the last action (a person's manual
 * change stays until the next one).
 */
export interface LastAction {
  /** `YYYY-MM-DDTHH:MMZ`. */
  at: string;
  action: string;
  after: number;
  wanted: number;
  /** Sanitised with tagValue. */
  reason: string;
}

const isoMinute = (ms: number) => `${new Date(ms).toISOString().slice(0, 16)}Z`;

export function formatLastAction(
  a: Omit<LastAction, 'at' | 'reason'> & { at: number; reason: string },
): string {
  return tagValue(`${isoMinute(a.at)} ${a.action} ${a.after}/${a.wanted} ${a.reason}`);
}

const FORMAT = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z) ([a-z-]+) (\d+)\/(\d+)(?: (.*))?$/;

/** The recorded action, or undefined when the tag is absent or not ours (a person edited it). */
export function parseLastAction(value: string | undefined): LastAction | undefined {
  const m = FORMAT.exec(value ?? '');
  if (!m) return undefined;
  return { at: m[1], action: m[2], after: Number(m[3]), wanted: Number(m[4]), reason: m[5] ?? '' };
}

/** True when the recorded action was taken for this schedule value (same capacity and reason). */
export const sameScheduleValue = (last: LastAction | undefined, wanted: number, reason: string) =>
  last !== undefined && last.wanted === wanted && last.reason === tagValue(reason);
