import {
  DEFAULT_HEARTBEAT_SECONDS,
  DEFAULT_LEASE_SECONDS,
  JOB_SCHEMA_VERSION,
  type Job,
  type JobClaim,
  type JobResult,
  JobSchema,
  type JobSecret,
  type JobStep,
} from '../agent/job';
import { errorsOf, findBuilder } from '../appstream/queries';
import type { PipelineConfig } from '../config/pipeline';
import type { PipelineDeps } from './deps';
import {
  BuildAgentLost,
  BuildAgentRefused,
  BuildCommandFailed,
  BuilderFailed,
  BuildTimeout,
  ImageAssistantError,
} from './errors';
import { pollWithin } from './poll';
import type { BuilderRun, PhaseWait, Plan } from './types';

const MIN = 60_000;

/** Image Assistant arguments for one application (argument arrays: no quoting problems). */
function addApplicationArgs(app: PipelineConfig['build']['applications'][number]): string[] {
  const argv = ['add-application', '--name', app.name, '--absolute-app-path', app.path];
  const optional: [string, string | undefined][] = [
    ['--display-name', app.displayName],
    ['--absolute-icon-path', app.iconPath],
    ['--working-directory', app.workingDirectory],
    ['--launch-parameters', app.launchParameters],
    ['--absolute-manifest-path', app.manifestPath],
  ];
  for (const [flag, value] of optional) if (value !== undefined) argv.push(flag, value);
  return argv;
}

export function createImageArgs(config: PipelineConfig, plan: Plan): string[] {
  const argv = ['create-image', '--name', plan.imageName];
  if (config.image.displayName) argv.push('--display-name', config.image.displayName);
  if (config.image.description) argv.push('--description', config.image.description);
  if (config.image.useLatestAgentVersion) argv.push('--use-latest-agent-version');
  if (config.image.dynamicAppCatalog) argv.push('--enable-dynamic-app-catalog');
  const tags = Object.entries(plan.imageTags);
  if (tags.length) argv.push('--tags', ...tags.flat());
  return argv;
}

/** `build.secrets` as job references (`ssm:/x` -> {source: ssm, ref: /x}); never values. */
export function jobSecrets(secrets: Record<string, string>): JobSecret[] {
  return Object.entries(secrets).map(([name, ref]) => {
    const colon = ref.indexOf(':');
    return { name, source: ref.slice(0, colon) as JobSecret['source'], ref: ref.slice(colon + 1) };
  });
}

/**
 * The build as one job for the builder: the build commands, then add-application for each
 * app, then `create-image --dry-run` (catches name and catalog problems before anything is
 * snapshotted), then `create-image`. Bound to the builder and valid until the build deadline
 * (the agent refuses it afterwards); secrets travel as references the agent resolves.
 */
export function buildJob(config: PipelineConfig, plan: Plan, createdAt: string): Job {
  const steps: JobStep[] = [
    ...config.build.commands.map((c, i) => ({
      id: `command-${i + 1}${c.name ? `-${c.name.replace(/[^A-Za-z0-9_.-]/g, '_')}` : ''}`,
      kind: 'command' as const,
      argv: c.run,
      timeoutSeconds: c.timeoutSeconds,
      expectReboot: c.expectReboot,
      ...(c.env && Object.keys(c.env).length ? { env: c.env } : {}),
    })),
    // A reused or restarted builder still has its catalog: replace each app, don't duplicate it.
    ...config.build.applications.flatMap((a) => [
      {
        id: `remove-application-${a.name}`,
        kind: 'image-assistant' as const,
        argv: ['remove-application', '--name', a.name],
        continueOnError: true,
      },
      { id: `add-application-${a.name}`, kind: 'image-assistant' as const, argv: addApplicationArgs(a) },
    ]),
    {
      id: 'create-image-dry-run',
      kind: 'image-assistant',
      argv: [...createImageArgs(config, plan), '--dry-run'],
    },
    { id: 'create-image', kind: 'image-assistant', argv: createImageArgs(config, plan) },
  ];
  return JobSchema.parse({
    schemaVersion: JOB_SCHEMA_VERSION,
    jobId: `build-${plan.execution}`,
    builderName: plan.builderName,
    createdAt,
    expiresAt: new Date(Date.parse(createdAt) + config.timeouts.buildMinutes * MIN).toISOString(),
    heartbeatSeconds: DEFAULT_HEARTBEAT_SECONDS,
    leaseSeconds: DEFAULT_LEASE_SECONDS,
    secrets: jobSecrets(config.build.secrets),
    steps,
  });
}

export async function submitBuild(
  input: { config: PipelineConfig; plan: Plan; builder: BuilderRun },
  deps: PipelineDeps,
): Promise<{ jobId: string; deadline: number; pickupDeadline: number; leaseSeconds: number }> {
  const job = buildJob(input.config, input.plan, new Date(deps.clock.now()).toISOString());
  await deps.channel.submit(input.builder.region, job);
  const now = deps.clock.now();
  return {
    jobId: job.jobId,
    deadline: now + input.config.timeouts.buildMinutes * MIN,
    pickupDeadline: now + input.config.timeouts.agentPickupMinutes * MIN,
    leaseSeconds: job.leaseSeconds,
  };
}

/**
 * The agent's lease: BuildAgentLost when nobody claimed the job by `pickupDeadline`, or when the
 * claim's heartbeats stopped for longer than the lease (outside an announced reboot, and not
 * while AppStream shows the builder REBOOTING).
 */
export function checkLease(
  claim: JobClaim | undefined,
  at: { now: number; pickupDeadline?: number; leaseSeconds: number; builderState: string },
  names: { builder: string; jobId: string },
): void {
  if (at.builderState === 'REBOOTING') return;
  if (!claim) {
    if (at.pickupDeadline !== undefined && at.now > at.pickupDeadline)
      throw new BuildAgentLost(
        `No agent picked up build job ${names.jobId} on image builder '${names.builder}' by ` +
          `${new Date(at.pickupDeadline).toISOString()} (timeouts.agentPickupMinutes): is the agent ` +
          `(agent protocol 2, agent/README.md) baked into builder.image, and can the builder's role read the agent bucket?`,
      );
    return;
  }
  const rebootUntil = claim.rebootExpectedUntil ? Date.parse(claim.rebootExpectedUntil) : 0;
  const silentMs = at.now - Date.parse(claim.heartbeatAt);
  if (silentMs > at.leaseSeconds * 1000 && at.now > rebootUntil)
    throw new BuildAgentLost(
      `The agent on image builder '${names.builder}' stopped heartbeating on build job ${names.jobId}: ` +
        `last heartbeat ${claim.heartbeatAt}${claim.currentStep ? ` during step ${claim.currentStep}` : ''}, ` +
        `${Math.round(silentMs / 1000)} s ago (lease ${at.leaseSeconds} s)`,
    );
}

/** Turns a failed job result into the named error of the step that failed. */
export function failureOf(result: JobResult, job?: Pick<Job, 'steps'>): Error {
  // The agent stops right after the step that failed (optional steps don't stop it): the last one.
  const failed = result.steps[result.steps.length - 1];
  if (!failed)
    return new BuildCommandFailed(
      `Job ${result.jobId} failed before running any step${result.reason ? `: ${result.reason}` : ''}`,
    );
  const kind =
    job?.steps.find((s) => s.id === failed.id)?.kind ??
    (failed.id.startsWith('command') ? 'command' : 'image-assistant');
  if (kind === 'image-assistant') {
    let message = failed.stdout.trim();
    try {
      message = (JSON.parse(message) as { message?: string }).message ?? message;
    } catch {
      // Not JSON: keep the raw output.
    }
    return new ImageAssistantError(
      `${failed.id} exited ${failed.exitCode}: ${message || failed.stderr.trim()}`,
    );
  }
  const output = `${failed.stdout}\n${failed.stderr}`.trim().slice(-500);
  return new BuildCommandFailed(`${failed.id} exited ${failed.exitCode}: ${output}`);
}

/**
 * Waits (within one poll window) for the job's result; throws the step's named error on failure.
 * Without a result it also watches the builder: SNAPSHOTTING means create-image went through
 * (the agent's result upload may have lost the race with the snapshot shutdown), FAILED or
 * stopping means the build can't finish; a reboot (REBOOTING) is waited out.
 */
export async function checkBuild(
  input: {
    builder: BuilderRun;
    jobId: string;
    deadline: number;
    wait: PhaseWait;
    imageMinutes: number;
    /** No claim by then: BuildAgentLost (absent in executions started before agent protocol 2). */
    pickupDeadline?: number;
    leaseSeconds?: number;
  },
  deps: PipelineDeps,
): Promise<{ done: boolean; observedAt: number; imageDeadline?: number; via?: 'result' | 'builder-state' }> {
  const client = deps.appstream(input.builder.region);
  let result: JobResult | undefined;
  let via: 'result' | 'builder-state' | undefined;
  const done = await pollWithin(input.wait, deps, async () => {
    result = await deps.channel.result(input.builder.region, input.builder.name, input.jobId);
    if (result) {
      via = 'result';
      return true;
    }
    const claim = await deps.channel.claim(input.builder.region, input.builder.name, input.jobId);
    const b = await findBuilder(client, input.builder.name);
    const state = b?.State ?? 'DELETED';
    if (state === 'SNAPSHOTTING') {
      via = 'builder-state';
      return true;
    }
    if (state === 'FAILED')
      throw new BuilderFailed(
        `Image builder '${input.builder.name}' FAILED during the build: ${errorsOf(b!)}`,
      );
    // REBOOTING (an installer restarted the builder) or UPDATING_AGENT: keep waiting.
    if (['STOPPING', 'STOPPED', 'DELETING', 'DELETED'].includes(state))
      throw new BuilderFailed(
        `Image builder '${input.builder.name}' went ${state} before the build job ${input.jobId} finished`,
      );
    checkLease(
      claim,
      {
        now: deps.clock.now(),
        pickupDeadline: input.pickupDeadline,
        leaseSeconds: input.leaseSeconds ?? DEFAULT_LEASE_SECONDS,
        builderState: state,
      },
      { builder: input.builder.name, jobId: input.jobId },
    );
    if (deps.clock.now() > input.deadline)
      throw new BuildTimeout(
        `No result for build job ${input.jobId} from '${input.builder.name}' before its deadline`,
      );
    return false;
  });
  if (result?.status === 'refused')
    throw new BuildAgentRefused(
      `The agent on image builder '${input.builder.name}' refused build job ${input.jobId}: ${result.reason ?? 'no reason given'}`,
    );
  if (result && result.status !== 'succeeded') throw failureOf(result);
  return {
    done,
    via,
    observedAt: deps.clock.now(),
    imageDeadline: done ? deps.clock.now() + input.imageMinutes * MIN : undefined,
  };
}
