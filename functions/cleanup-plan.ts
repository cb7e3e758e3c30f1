import { z } from 'zod';
import { planCleanup } from '../lib/cleanup/plan';
import { cleanupAwsDeps } from '../lib/lambda/cleanup-deps';
import { functionDefiner } from '../lib/lambda/define';

/** Validates the policy, fixes the run's now, batches account × region; skips while an earlier run goes on. */
export const { handler, withDeps, schema } = functionDefiner(cleanupAwsDeps)(
  z.object({
    /** The execution input. */
    input: z
      .object({
        policy: z.unknown().optional(),
        dryRun: z.boolean().optional(),
        detail: z.boolean().optional(),
        batchSize: z.number().int().min(1).max(100).optional(),
      })
      .optional(),
    /** $$.Execution.Id. */
    execution: z.string().optional(),
    /** $$.Execution.StartTime. */
    startedAt: z.string().optional(),
  }),
  (i, deps) =>
    planCleanup({ ...i.input, execution: i.execution, startedAt: i.startedAt }, deps, {
      // The topic the deployment may publish to (serverless.yml cleanupEnvironment).
      topicArn: process.env.CLEANUP_TOPIC_ARN,
    }),
);
