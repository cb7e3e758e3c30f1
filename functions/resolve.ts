import { z } from 'zod';
import { pipelineDefinition, pipelinesDirFrom } from '../lib/config/catalog';
import { defineFunction } from '../lib/lambda/define';
import { resolvePipeline } from '../lib/pipeline/resolve';

/**
 * Validates the pipeline definition and plans the run. The state machine hands it the execution's
 * input as `input`: {"pipeline": "<name>", "overrides"?: {...}} (a pipeline bundled from
 * config/pipelines, PIPELINES_DIR) or the full definition {"config": {...}}; a direct call may
 * still pass `config`.
 */
export const { handler, withDeps, schema } = defineFunction(
  z.object({
    input: z.unknown().optional(),
    config: z.unknown().optional(),
    execution: z.string().min(1),
    executionArn: z.string().optional(),
  }),
  ({ input, config, ...rest }, deps) =>
    resolvePipeline(
      {
        ...rest,
        config: input !== undefined ? pipelineDefinition(input, { dir: pipelinesDirFrom() }) : config,
      },
      deps,
    ),
);
