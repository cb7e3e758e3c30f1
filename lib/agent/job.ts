import { z } from 'zod';
import { AwsRequestError } from '../errors';
import { BuildAgentOutdated } from './errors';

/**
 * Agent protocol 2 (agent/PROTOCOL.md): the documents exchanged with the builder-side agent.
 *
 * - jobs/<jobId>.json: a signed ENVELOPE around the job payload, written only by the pipeline;
 * - claims/<jobId>.json: the agent's lease, rewritten every `heartbeatSeconds` while it works;
 * - results/<jobId>.json: written once when the job ends (succeeded, failed or refused).
 *
 * A job is an ordered list of steps; the agent runs them in order with argument arrays (no
 * shell), stops at the first failure, and can resume after a reboot (`expectReboot`).
 */
export const JOB_SCHEMA_VERSION = 2;
/** What an outdated builder must bake instead (named in BuildAgentOutdated). */
export const REQUIRED_AGENT = 'autopilot agent 2.0.0 or later (agent protocol 2, agent/README.md)';
export const SIGNING_ALGORITHM = 'RSASSA_PKCS1_V1_5_SHA_256';
export const DEFAULT_HEARTBEAT_SECONDS = 30;
export const DEFAULT_LEASE_SECONDS = 180;

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 time');

/** `{{secret:NAME}}` in an argument: resolved by the agent on the builder, never by the pipeline. */
export const SECRET_PLACEHOLDER = /\{\{secret:([^}]*)\}\}/g;
export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** An environment variable name a step may set (portable: Windows and Linux). */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export const JobSecretSchema = z
  .object({
    name: z.string().regex(SECRET_NAME),
    source: z.enum(['ssm', 'secretsmanager']),
    /** SSM parameter name (SecureString) or Secrets Manager secret ARN/name. Never the value. */
    ref: z.string().min(1),
  })
  .strict();

export const JobStepSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/),
    /** `command`: run argv[0] with the other args. `image-assistant`: run the Image Assistant CLI with argv. */
    kind: z.enum(['command', 'image-assistant']),
    argv: z.array(z.string()).min(1),
    timeoutSeconds: z.number().int().positive().default(1800),
    /** A failure of this step does not stop the job (e.g. removing an app that may not be there). */
    continueOnError: z.boolean().default(false),
    /** The step restarts the builder (an installer): after the reboot it counts as completed. */
    expectReboot: z.boolean().default(false),
    /**
     * Extra environment variables for the step's process (on top of the agent's environment).
     * Values may hold `{{secret:NAME}}`, resolved by the agent like arguments (a licence key an
     * installer reads from the environment never appears on its command line).
     */
    env: z.record(z.string().regex(ENV_NAME), z.string()).optional(),
  })
  .strict();

/** The job itself: what the envelope's `payload` carries (base64 of these exact JSON bytes). */
export const JobSchema = z
  .object({
    schemaVersion: z.literal(JOB_SCHEMA_VERSION),
    jobId: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/),
    /** The only builder allowed to run it (AppStream_Resource_Name). */
    builderName: z.string().min(1),
    createdAt: isoTime,
    /** An agent refuses the job after this time (a replayed or stale job never runs). */
    expiresAt: isoTime,
    heartbeatSeconds: z.number().int().positive().default(DEFAULT_HEARTBEAT_SECONDS),
    /** No heartbeat for this long (outside rebootExpectedUntil) = the agent is lost. */
    leaseSeconds: z.number().int().positive().default(DEFAULT_LEASE_SECONDS),
    secrets: z.array(JobSecretSchema).default([]),
    steps: z.array(JobStepSchema).min(1),
  })
  .strict();

/** The document stored in jobs/: no JSON canonicalisation needed to verify it (any platform). */
export const JobEnvelopeSchema = z
  .object({
    schemaVersion: z.literal(JOB_SCHEMA_VERSION),
    /** KMS key id/ARN, or 'local' (node:crypto key pair on a workstation or in tests). */
    keyId: z.string().min(1),
    algorithm: z.literal(SIGNING_ALGORITHM),
    payload: z.string().min(1),
    signature: z.string(),
  })
  .strict();

export const JobClaimSchema = z.object({
  schemaVersion: z.literal(JOB_SCHEMA_VERSION),
  jobId: z.string(),
  builderName: z.string(),
  agentVersion: z.string(),
  claimedAt: isoTime,
  heartbeatAt: isoTime,
  currentStep: z.string().nullable().optional(),
  completedSteps: z.array(z.string()).default([]),
  /** Set before an expectReboot step: the lease runs until this time. */
  rebootExpectedUntil: isoTime.nullable().optional(),
});

export const StepResultSchema = z.object({
  id: z.string(),
  exitCode: z.number().int(),
  /** Last part of the step's standard output (the Image Assistant prints its JSON here). Secrets redacted. */
  stdout: z.string().default(''),
  stderr: z.string().default(''),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  resumedAfterReboot: z.boolean().optional(),
});

export const JobResultSchema = z.object({
  schemaVersion: z.literal(JOB_SCHEMA_VERSION),
  jobId: z.string(),
  builderName: z.string(),
  agentVersion: z.string(),
  status: z.enum(['succeeded', 'failed', 'refused']),
  /** Why the agent refused the job (or why it failed outside a step). */
  reason: z.string().optional(),
  finishedAt: z.string(),
  steps: z.array(StepResultSchema).default([]),
});

export type Job = z.infer<typeof JobSchema>;
export type JobInput = z.input<typeof JobSchema>;
export type JobStep = z.input<typeof JobStepSchema>;
export type JobSecret = z.infer<typeof JobSecretSchema>;
export type JobEnvelope = z.infer<typeof JobEnvelopeSchema>;
export type JobClaim = z.infer<typeof JobClaimSchema>;
export type JobResult = z.infer<typeof JobResultSchema>;
export type StepResult = z.infer<typeof StepResultSchema>;

/** Windows PowerShell 5.1 writes UTF-8 with a BOM (`Set-Content -Encoding UTF8`): every reader strips it. */
export const stripBom = (text: string) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

/**
 * Reads a claim or result document written by an agent: BOM tolerated, protocol checked.
 * A protocol 1 document (or one without a version) is an outdated agent: BuildAgentOutdated
 * names the agent to bake; anything else that breaks the schema is an AwsRequestError.
 */
export function readAgentDocument<S extends z.ZodType>(
  schema: S,
  text: string,
  where: string,
  builderName: string,
): z.infer<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(stripBom(text));
  } catch (err) {
    throw new AwsRequestError(`${where} is not JSON: ${(err as Error).message}`);
  }
  const version =
    raw && typeof raw === 'object' ? (raw as { schemaVersion?: unknown }).schemaVersion : undefined;
  if (version === undefined || (typeof version === 'number' && version < JOB_SCHEMA_VERSION))
    throw new BuildAgentOutdated(
      `The agent on image builder '${builderName}' speaks agent protocol ${version ?? 1} (${where}); ` +
        `this pipeline needs ${REQUIRED_AGENT}: bake it into the base image (builder.image)`,
    );
  if (version !== JOB_SCHEMA_VERSION)
    throw new AwsRequestError(
      `${where} has schemaVersion ${JSON.stringify(version)}, newer than this pipeline (${JOB_SCHEMA_VERSION}): update the pipeline`,
    );
  const parsed = schema.safeParse(raw);
  if (!parsed.success)
    throw new AwsRequestError(
      `${where} does not match the agent protocol ${JOB_SCHEMA_VERSION} schema: ${parsed.error.message}`,
    );
  return parsed.data;
}
