import { TAG } from '../tags';
import type { Schedule } from './config';
import { capacityAt, type Decision, type Override } from './engine';
import { parseOverride } from './override';

export interface Decisions {
  /** The schedule's value now (an active override applied). */
  now: Decision;
  /** Its value `startLeadMinutes` from now: a stopped fleet starts when this is above 0. */
  lead: Decision;
  /** The fleet's TAG.override has expired: ignored, and removed by the apply step. */
  overrideExpired: boolean;
  notes: string[];
}

/** What the schedule says for a fleet now and at the start lead, with its override tag. */
export function decisionsFor(
  schedule: Schedule,
  tags: Record<string, string>,
  now: number,
  startLeadMinutes: number,
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
  return {
    now: capacityAt(schedule, now, override),
    lead: capacityAt(schedule, now + startLeadMinutes * 60_000, override),
    overrideExpired,
    notes,
  };
}
