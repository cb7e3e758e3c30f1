import { z } from 'zod';
import { functionDefiner } from '../lib/lambda/define';
import { scheduleAwsDeps } from '../lib/lambda/schedule-deps';
import { applyPlan } from '../lib/schedule/apply';
import type { FleetPlan } from '../lib/schedule/plan';

/** Applies one fleet's plan (the Map's item); a busy fleet is skipped for the next run. */
export const { handler, withDeps, schema } = functionDefiner(scheduleAwsDeps)(
  z.object({
    plan: z.custom<FleetPlan>(
      (v) => typeof (v as FleetPlan)?.fleet === 'string' && typeof (v as FleetPlan)?.region === 'string',
      'must be a fleet plan (fleet, region, action, ...)',
    ),
  }),
  applyPlan,
);
