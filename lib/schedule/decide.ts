import { TAG } from '../tags';
import type { Schedule } from './config';
import { capacityAt, changePoints, type Decision, type Override } from './engine';
import { parseOverride } from './override';

export interface Decisions {
  /** The schedule's value now (an active override applied). */
  now: Decision;
  /**
   * The highest value the schedule takes in (now, now + startLeadMinutes + cadence]: when above
   * `now`, a stopped fleet starts and a running one scales up now, so the capacity is there by
   * the time it is due even though runs fall only every `cadenceMinutes` (and the boundary may lie
   * between two runs). Otherwise `now` itself: scale-downs happen at their time.
   */
  lead: Decision;
  /** The fleet's TAG.override has expired: ignored, and removed by the apply step. */
  overrideExpired: boolean;
  notes: string[];
}

/** The deployment's default cadence: EventBridge Scheduler starts a run every 5 minutes. */
export const DEFAULT_CADENCE_MINUTES = 5;

/** What the schedule says for a fleet now and ahead (start lead + cadence), with its override tag. */
export function decisionsFor(
  schedule: Schedule,
  tags: Record<string, string>,
  now: number,
  startLeadMinutes: number,
  cadenceMinutes = DEFAULT_CADENCE_MINUTES,
): Decisions {
  const notes: string[] = [];
  let override: Override | undefined;
  let overrideExpired = false;
  const raw = tags[TAG.override];
  if (raw !== undefined) {
    const parsed = parseOverride(raw);
    if (!parsed) notes.push(`override tag '${raw}' is not capacity@until: ignored`);
    else if (parsed.until <= now) {
      overrideExpired = true;
      notes.push(`override ${raw} expired: removed`);
    } else override = parsed;
  }
  const current = capacityAt(schedule, now, override);
  // A value due at `t` is acted on by the last run at or before t - startLeadMinutes: this run,
  // unless the next one (now + cadence) still comes at least startLeadMinutes before t
  // (changePoints covers [from, to)).
  const to = now + (startLeadMinutes + cadenceMinutes) * 60_000;
  let lead: Decision = current;
  for (const c of changePoints(schedule, now, to, override).slice(1)) {
    if (c.capacity > lead.capacity) {
      const { at: _at, ...decision } = c;
      lead = decision;
    }
  }
  return { now: current, lead, overrideExpired, notes };
}
