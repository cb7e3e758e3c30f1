import { z } from 'zod';
import { capRows, sweepBatch } from '../lib/cleanup/sweep';
import { cleanupAwsDeps } from '../lib/lambda/cleanup-deps';
import { functionDefiner } from '../lib/lambda/define';
import { logger } from '../lib/lambda/logger';

const target = z.object({
  account: z.string().regex(/^\d{12}$/),
  region: z.string().min(1),
  roleArn: z.string().optional(),
  externalId: z.string().optional(),
});

/** Sweeps one batch of account-regions (the Map's item): list → decide → act, one row per builder. */
export const { handler, withDeps, schema } = functionDefiner(cleanupAwsDeps)(
  z.object({
    at: z.string(),
    dryRun: z.boolean(),
    detail: z.boolean().optional(),
    policy: z.unknown().optional(),
    targets: z.array(target),
  }),
  async (input, deps) => {
    const out = await sweepBatch(input, deps);
    // The record of every builder acted on: the output keeps at most MAX_ROWS_PER_BATCH rows.
    for (const s of out.scopes)
      logger.info('swept', {
        account: s.account,
        region: s.region,
        counts: s.counts,
        error: s.error,
        rows: s.rows,
      });
    return input.detail ? out : capRows(out);
  },
);
