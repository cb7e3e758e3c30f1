import { z } from 'zod';

/**
 * Job and result documents exchanged with the builder-side agent (versioned). A job is an
 * ordered list of steps; the agent runs them in order with argument arrays (no shell), stops
 * at the first failure and writes one result document.
 */
export const JOB_SCHEMA_VERSION = 1;

export const JobStepSchema = z
  .object({
    id: z.string().min(1),
    /** `command`: run argv[0] with the other args. `image-assistant`: run the Image Assistant CLI with argv. */
    kind: z.enum(['command', 'image-assistant']),
    argv: z.array(z.string()).min(1),
    timeoutSeconds: z.number().int().positive().default(1800),
    /** A failure of this step does not stop the job (e.g. removing an app that may not be there). */
    continueOnError: z.boolean().default(false),
  })
  .strict();

export const JobSchema = z
  .object({
    schemaVersion: z.literal(JOB_SCHEMA_VERSION),
    jobId: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/),
    builderName: z.string().min(1),
    createdAt: z.string(),
    steps: z.array(JobStepSchema).min(1),
  })
  .strict();

export const StepResultSchema = z.object({
  id: z.string(),
  exitCode: z.number().int(),
  /** Last part of the step's standard output (the Image Assistant prints its JSON here). */
  stdout: z.string(),
  stderr: z.string().default(''),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
});

export const JobResultSchema = z.object({
  schemaVersion: z.literal(JOB_SCHEMA_VERSION),
  jobId: z.string(),
  status: z.enum(['succeeded', 'failed']),
  finishedAt: z.string(),
  steps: z.array(StepResultSchema),
});

export type Job = z.infer<typeof JobSchema>;
export type JobStep = z.input<typeof JobStepSchema>;
export type JobResult = z.infer<typeof JobResultSchema>;
export type StepResult = z.infer<typeof StepResultSchema>;
