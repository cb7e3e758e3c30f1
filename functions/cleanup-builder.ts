import { z } from 'zod';
import { defineFunction } from '../lib/lambda/define';
import { cleanupBuilder } from '../lib/pipeline/builder';
import { builderRun, config, phaseWait, plan } from './schemas';

/** After a failure: stops (or deletes) the builder this run launched or started. */
export const { handler, withDeps, schema } = defineFunction(
  z.object({
    state: z
      .object({
        config,
        plan,
        builder: builderRun.optional(),
        cleanup: z
          .object({ deadline: z.number(), attempts: z.number(), state: z.string() })
          .partial()
          .optional(),
      })
      .passthrough(),
    wait: phaseWait,
  }),
  cleanupBuilder,
);
