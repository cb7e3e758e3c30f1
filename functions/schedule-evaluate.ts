import { z } from 'zod';
import { functionDefiner } from '../lib/lambda/define';
import { scheduleAwsDeps } from '../lib/lambda/schedule-deps';
import { evaluateSchedules } from '../lib/schedule/evaluate';

/** Plans every managed fleet at "now" in one step; the Map applies only the changes. */
export const { handler, withDeps, schema } = functionDefiner(scheduleAwsDeps)(
  z.object({ config: z.unknown().optional(), dryRun: z.boolean().optional() }),
  evaluateSchedules,
);
