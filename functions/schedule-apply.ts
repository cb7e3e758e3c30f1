import { z } from 'zod';
import { functionDefiner } from '../lib/lambda/define';
import { scheduleAwsDeps } from '../lib/lambda/schedule-deps';
import { applyWirePlan } from '../lib/schedule/apply';
import type { PlanKind, WirePlan } from '../lib/schedule/wire';

/** Applies one fleet's plan (the Map's item, a plan tuple); a busy fleet is skipped for the next run. */
export const { handler, withDeps, schema } = functionDefiner(scheduleAwsDeps)(
  z.object({
    plan: z.custom<WirePlan>(
      (v) => Array.isArray(v) && typeof v[0] === 'string' && Number.isInteger(v[1]),
      'must be a fleet plan tuple [fleet, kind, before, after, action, extra?]',
    ),
    kinds: z.array(z.custom<PlanKind>((v) => Array.isArray(v) && v.length === 6, 'must be a plan kind')),
    arnPrefix: z.record(z.string(), z.string()).optional(),
  }),
  applyWirePlan,
);
