import { z } from 'zod';
import { type BatchOutcome, summarize } from '../lib/cleanup/summary';
import type { CleanupTarget } from '../lib/cleanup/targets';
import { cleanupAwsDeps } from '../lib/lambda/cleanup-deps';
import { functionDefiner } from '../lib/lambda/define';
import { logger } from '../lib/lambda/logger';

/** Joins the batches' results into the run's summary (the execution's output) and notifies (SNS). */
export const { handler, withDeps, schema } = functionDefiner(cleanupAwsDeps)(
  z.object({
    at: z.string(),
    dryRun: z.boolean(),
    policy: z.unknown().optional(),
    batches: z.array(z.array(z.custom<CleanupTarget>((v) => typeof v === 'object' && v !== null))),
    results: z.array(z.custom<BatchOutcome>((v) => typeof v === 'object' && v !== null)),
  }),
  async (input, deps) => {
    const out = await summarize(input, deps);
    const { summary } = out;
    if (summary.failedScopes.length || summary.notification?.error)
      logger.warn('builder cleanup run', { summary });
    else logger.info('builder cleanup run', { summary });
    return out;
  },
);
