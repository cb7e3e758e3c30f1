import { z } from 'zod';
import { defineFunction } from '../lib/lambda/define';
import { checkCopies } from '../lib/pipeline/distribute';
import { phaseWait, plan } from './schemas';

/** Waits until every copy is AVAILABLE. */
export const { handler, withDeps, schema } = defineFunction(
  z.object({
    imageName: z.string(),
    regions: z.array(z.string()),
    wait: phaseWait,
    deadline: z.number(),
    /** Starts copies queued behind the destination's concurrent-copy limit, tags copies. */
    plan: plan.optional(),
  }),
  checkCopies,
);
