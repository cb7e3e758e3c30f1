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
    /** Absent in the deployed state machine: each result names its scopes (see batchesOf below). */
    batches: z.array(z.array(z.custom<CleanupTarget>((v) => typeof v === 'object' && v !== null))).optional(),
    results: z.array(
      z.custom<BatchOutcome & { targets?: CleanupTarget[] }>((v) => typeof v === 'object' && v !== null),
    ),
  }),
  async (input, deps) => {
    const out = await summarize({ ...input, batches: input.batches ?? batchesOf(input.results) }, deps);
    const { summary } = out;
    if (summary.failedScopes.length || summary.notification?.error)
      logger.warn('builder cleanup run', { summary });
    else logger.info('builder cleanup run', { summary });
    return out;
  },
);

/**
 * The batches, from the Map's results (the state machine does not carry `batches` past the Map:
 * the 256 KiB payload quota): a Sweep's result lists its scopes, a failed batch's (BatchFailed)
 * carries its targets.
 */
export function batchesOf(results: (BatchOutcome & { targets?: CleanupTarget[] })[]): CleanupTarget[][] {
  return results.map((r) =>
    r.targets
      ? r.targets
      : 'scopes' in r
        ? r.scopes.map((s) => ({ account: s.account, region: s.region }))
        : [],
  );
}
