import { z } from 'zod';
import { defineFunction } from '../lib/lambda/define';
import { resolvePipeline } from '../lib/pipeline/resolve';

/** Validates the pipeline definition and plans the run. */
export const { handler, withDeps, schema } = defineFunction(
  z.object({ config: z.unknown(), execution: z.string().min(1), executionArn: z.string().optional() }),
  resolvePipeline,
);
