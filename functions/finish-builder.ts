import { z } from 'zod';
import { defineFunction } from '../lib/lambda/define';
import { finishBuilder } from '../lib/pipeline/builder';
import { builderRun, phaseWait } from './schemas';

/** Leaves the builder stopped, or deleted when configured. */
export const { handler, withDeps, schema } = defineFunction(
  z.object({ builder: builderRun, delete: z.boolean(), wait: phaseWait, deadline: z.number() }),
  finishBuilder,
);
