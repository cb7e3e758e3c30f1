import { z } from 'zod';
import { PipelineConfigSchema } from '../config/pipeline';

// The one source of truth for the event shapes that flow through the state machine. The types in
// ./types are z.infer of these; the functions (functions/*.ts) validate their events with them,
// so a wiring mistake or a hand-started execution fails with the field that is wrong.
// Add a field here, never to a hand-written interface.

/** How one phase waits: a first Wait sized from the expected duration, then polls. */
export const PhaseWaitSchema = z.object({
  /** Seconds of the Wait state before the first check. */
  firstSeconds: z.number().min(0),
  /** Seconds of the Wait state between checks (0: the check itself polled, go straight back). */
  loopWaitSeconds: z.number().min(0),
  /** Seconds between polls inside one check. */
  pollSeconds: z.number().min(1),
  /** How long one check keeps polling before it returns "not yet" (0: a single look). */
  windowSeconds: z.number().min(0),
});

/** What Resolve plans for the run. */
export const PlanSchema = z.object({
  pipeline: z.string(),
  execution: z.string(),
  region: z.string(),
  builderName: z.string(),
  /** True when the builder is an existing one (never deleted by the pipeline). */
  reuseBuilder: z.boolean(),
  /** Delete the builder at the end (builder.whenDone: delete, and not a reused builder). */
  deleteBuilder: z.boolean(),
  baseImageArn: z.string().optional(),
  baseImageName: z.string().optional(),
  imageName: z.string(),
  imageTags: z.record(z.string(), z.string()),
  waits: z.object({
    builder: PhaseWaitSchema,
    build: PhaseWaitSchema,
    image: PhaseWaitSchema,
    finish: PhaseWaitSchema,
  }),
});

/** What EnsureBuilder reports: whether this run launched or started the builder. */
export const BuilderRunSchema = z.object({
  name: z.string(),
  region: z.string(),
  createdByRun: z.boolean(),
  startedByRun: z.boolean(),
  /** Epoch ms after which waiting for RUNNING fails with BuilderStartTimeout. */
  deadline: z.number(),
  /** The run's short id (TAG.execution): FinishBuilder records `stopped by run <id>` (TAG.lastAction). */
  execution: z.string().optional(),
});

/** The validated pipeline definition, as it flows through the state machine. */
export const ConfigSchema = PipelineConfigSchema;

/** The input of the steps that need the definition and the plan only. */
export const ConfigAndPlanSchema = z.object({ config: ConfigSchema, plan: PlanSchema });

/** The document that flows through the state machine. */
export const PipelineStateSchema = z.object({
  config: ConfigSchema,
  plan: PlanSchema,
  builder: BuilderRunSchema.optional(),
});

/** What a check reports to the state machine's Choice. */
export const CheckResultSchema = z.object({
  ready: z.boolean(),
  state: z.string(),
  observedAt: z.number(),
});
