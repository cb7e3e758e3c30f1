import { z } from 'zod';
import { PipelineConfigSchema } from '../lib/config/pipeline';

// Event shapes of the functions. The state machine builds them from its own state, so these
// catch wiring mistakes and hand-started executions with the field that is wrong.

export const phaseWait = z.object({
  firstSeconds: z.number().min(0),
  loopWaitSeconds: z.number().min(0),
  pollSeconds: z.number().min(1),
  windowSeconds: z.number().min(0),
});

export const plan = z.object({
  pipeline: z.string(),
  execution: z.string(),
  region: z.string(),
  builderName: z.string(),
  reuseBuilder: z.boolean(),
  deleteBuilder: z.boolean(),
  baseImageArn: z.string().optional(),
  baseImageName: z.string().optional(),
  imageName: z.string(),
  imageTags: z.record(z.string(), z.string()),
  waits: z.object({ builder: phaseWait, build: phaseWait, image: phaseWait, finish: phaseWait }),
});

export const builderRun = z.object({
  name: z.string(),
  region: z.string(),
  createdByRun: z.boolean(),
  startedByRun: z.boolean(),
  deadline: z.number(),
});

export const config = PipelineConfigSchema;

export const configAndPlan = z.object({ config, plan });
