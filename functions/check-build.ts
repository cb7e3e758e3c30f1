import { z } from 'zod';
import { defineFunction } from '../lib/lambda/define';
import { checkBuild } from '../lib/pipeline/build';
import { builderRun, phaseWait } from './schemas';

/**
 * Waits for the build job's result; a failed step becomes its named error, a refused job
 * BuildAgentRefused, an agent that never claimed the job or stopped heartbeating BuildAgentLost.
 */
export const { handler, withDeps, schema } = defineFunction(
  z.object({
    builder: builderRun,
    jobId: z.string(),
    deadline: z.number(),
    wait: phaseWait,
    imageMinutes: z.number(),
    pickupDeadline: z.number().optional(),
    leaseSeconds: z.number().int().positive().optional(),
  }),
  checkBuild,
);
