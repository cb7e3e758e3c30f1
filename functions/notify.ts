import { z } from 'zod';
import { defineFunction } from '../lib/lambda/define';
import { notifyOutcome } from '../lib/pipeline/notify';

/** Publishes the run's outcome to the configured SNS topic. */
export const { handler, withDeps, schema } = defineFunction(
  z.object({
    state: z.record(z.string(), z.unknown()),
    outcome: z.enum(['SUCCEEDED', 'FAILED']),
    error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
  }),
  notifyOutcome,
);
