import {
  CreateImageBuilderCommand,
  DeleteImageBuilderCommand,
  type ImageBuilder,
  StartImageBuilderCommand,
  StopImageBuilderCommand,
  TagResourceCommand,
} from '@aws-sdk/client-appstream';
import { errorsOf, findBuilder } from '../appstream/queries';
import { aws, unexpected } from '../aws/call';
import { TAG, tagValue } from '../tags';
import type { PipelineDeps } from './deps';
import { BuilderFailed, BuilderStartTimeout, BuilderStopTimeout } from './errors';
import { BILLING_STATES, startedByRunTag, stoppedByRunTag } from './housekeeping';
import { pollWithin } from './poll';
import type { BuilderRun, CheckResult, PhaseWait, PipelineState } from './types';

const MIN = 60_000;

function createRequest(state: PipelineState, deps: PipelineDeps) {
  const { config, plan } = state;
  const b = config.builder;
  return new CreateImageBuilderCommand({
    Name: plan.builderName,
    InstanceType: b.instanceType,
    ImageArn: plan.baseImageArn,
    DisplayName: `${plan.pipeline} (autopilot)`.slice(0, 100),
    Description: `Image pipeline ${plan.pipeline}, run ${plan.execution}`,
    VpcConfig:
      b.subnetIds || b.securityGroupIds
        ? { SubnetIds: b.subnetIds, SecurityGroupIds: b.securityGroupIds }
        : undefined,
    IamRoleArn: b.iamRoleArn,
    EnableDefaultInternetAccess: b.enableDefaultInternetAccess,
    DomainJoinInfo: b.domainJoin
      ? {
          DirectoryName: b.domainJoin.directoryName,
          OrganizationalUnitDistinguishedName: b.domainJoin.organizationalUnitDistinguishedName,
        }
      : undefined,
    Tags: {
      ...b.tags,
      [TAG.managed]: 'true',
      [TAG.deployment]: tagValue(deps.deployment),
      [TAG.pipeline]: tagValue(plan.pipeline),
      [TAG.execution]: tagValue(plan.execution),
    },
  });
}

/**
 * Makes sure the run's builder exists and is starting or running. Idempotent: the builder name
 * is derived from the execution, so a retry finds the builder an earlier attempt launched
 * instead of launching a second one.
 */
export async function ensureBuilder(state: PipelineState, deps: PipelineDeps): Promise<BuilderRun> {
  const { plan } = state;
  const client = deps.appstream(plan.region);
  const deadline = deps.clock.now() + state.config.timeouts.builderStartMinutes * MIN;
  const run = (createdByRun: boolean, startedByRun: boolean): BuilderRun => ({
    name: plan.builderName,
    region: plan.region,
    createdByRun,
    startedByRun,
    deadline,
    execution: plan.execution,
  });
  const existing = await findBuilder(client, plan.builderName);
  if (!existing) {
    if (plan.reuseBuilder)
      throw new BuilderFailed(`builder.existing: image builder '${plan.builderName}' not found`);
    try {
      await aws('CreateImageBuilder', () => client.send(createRequest(state, deps)));
    } catch (err) {
      // Created by a concurrent attempt of this same execution: that builder is ours.
      if ((err as Error).name !== 'ResourceAlreadyExistsException')
        throw unexpected('CreateImageBuilder', err);
    }
    return run(true, false);
  }
  const ours = !plan.reuseBuilder;
  // A reused builder records which run uses it (concurrent-run guard, backstop) and, before it
  // is started, that this run started it: the backstop only stops an existing builder then.
  if (plan.reuseBuilder && existing.Arn)
    await tagReusedBuilder(client, existing.Arn, plan, existing.State === 'STOPPED', deps.deployment);
  switch (existing.State) {
    case 'STOPPED':
      await aws('StartImageBuilder', () =>
        client.send(new StartImageBuilderCommand({ Name: plan.builderName })),
      ).catch((err) => {
        throw unexpected('StartImageBuilder', err);
      });
      return run(ours, true);
    case 'PENDING':
    case 'RUNNING':
      return run(ours, false);
    case 'FAILED':
      throw new BuilderFailed(`Image builder '${plan.builderName}' is FAILED: ${errorsOf(existing)}`);
    default:
      throw new BuilderFailed(
        `Image builder '${plan.builderName}' is ${existing.State}; it can't be used for a build now`,
      );
  }
}

async function tagReusedBuilder(
  client: ReturnType<PipelineDeps['appstream']>,
  arn: string,
  plan: PipelineState['plan'],
  starting: boolean,
  deployment: string,
) {
  const tags: Record<string, string> = {
    [TAG.deployment]: tagValue(deployment),
    [TAG.pipeline]: plan.pipeline,
    [TAG.execution]: plan.execution,
  };
  if (starting) tags[TAG.lastAction] = startedByRunTag(plan.execution);
  await aws('TagResource', () => client.send(new TagResourceCommand({ ResourceArn: arn, Tags: tags }))).catch(
    (err) => {
      throw unexpected('TagResource', err);
    },
  );
}

/** Waits (within one poll window) for the builder to be RUNNING. */
export async function checkBuilder(
  input: { builder: BuilderRun; wait: PhaseWait },
  deps: PipelineDeps,
): Promise<CheckResult> {
  const client = deps.appstream(input.builder.region);
  let state = 'UNKNOWN';
  const ready = await pollWithin(input.wait, deps, async () => {
    const b = await findBuilder(client, input.builder.name);
    if (!b) throw new BuilderFailed(`Image builder '${input.builder.name}' disappeared`);
    state = b.State ?? 'UNKNOWN';
    if (state === 'RUNNING') return true;
    if (state === 'FAILED') throw new BuilderFailed(`Image builder '${b.Name}' FAILED: ${errorsOf(b)}`);
    if (state !== 'PENDING' && state !== 'UPDATING_AGENT')
      throw new BuilderFailed(`Image builder '${b.Name}' went ${state} while starting`);
    if (deps.clock.now() > input.builder.deadline)
      throw new BuilderStartTimeout(
        `Image builder '${b.Name}' not RUNNING after ${Math.round((deps.clock.now() - input.builder.deadline) / MIN)} min past its deadline (state ${state})`,
      );
    return false;
  });
  return { ready, state, observedAt: deps.clock.now() };
}

export interface SettleResult {
  done: boolean;
  state: string;
  action?: 'stopped' | 'deleted';
  /** The builder's ARN, when it was found (not part of what the steps report). */
  arn?: string;
}

/**
 * Records on a builder its run left stopped TAG.lastAction `stopped by run <id>`: the "started by
 * run <id>" the backstop acts on no longer matches, and a later start (a person's, from the
 * console) is never taken for the run's. Best effort: the stop is what matters, so a failed tag
 * write (throttling, a role without appstream:TagResource) never fails the step.
 */
export async function recordStoppedByRun(
  client: ReturnType<PipelineDeps['appstream']>,
  arn: string | undefined,
  executionShortId: string | undefined,
): Promise<boolean> {
  if (!arn || !executionShortId) return false;
  try {
    const Tags = { [TAG.lastAction]: stoppedByRunTag(executionShortId) };
    await aws('TagResource', () => client.send(new TagResourceCommand({ ResourceArn: arn, Tags })));
    return true;
  } catch {
    return false;
  }
}

/**
 * One step toward leaving the builder stopped (or deleted): stops a RUNNING builder, deletes a
 * STOPPED one when asked, and reports not-done while it is in a transition it must wait out
 * (PENDING can't be stopped; SNAPSHOTTING stops by itself).
 */
async function settleOnce(
  client: ReturnType<PipelineDeps['appstream']>,
  name: string,
  del: boolean,
): Promise<SettleResult> {
  const b: ImageBuilder | undefined = await findBuilder(client, name);
  if (!b) return { done: true, state: 'DELETED' };
  const state = b.State ?? 'UNKNOWN';
  const arn = b.Arn;
  /** Sends the action; false when it raced with a transition (look again next time). */
  const act = async (
    op: string,
    cmd: StopImageBuilderCommand | DeleteImageBuilderCommand,
  ): Promise<boolean> => {
    try {
      await aws(op, () => client.send(cmd as never));
      return true;
    } catch (err) {
      if ((err as Error).name === 'OperationNotPermittedException') return false;
      throw unexpected(op, err);
    }
  };
  if (state === 'RUNNING') {
    const sent = await act('StopImageBuilder', new StopImageBuilderCommand({ Name: name }));
    return { done: false, state, action: sent ? 'stopped' : undefined, arn };
  }
  if (state === 'STOPPED' || state === 'FAILED') {
    if (!del) return { done: true, state, arn };
    const sent = await act('DeleteImageBuilder', new DeleteImageBuilderCommand({ Name: name }));
    return { done: sent, state, action: sent ? 'deleted' : undefined, arn };
  }
  return { done: state === 'DELETING', state, arn };
}

/**
 * Leaves the builder stopped, or deleted when `whenDone` is delete (a reused builder is never
 * deleted). Polls within the window; call again until done. Once STOPPED, records `stopped by run
 * <id>` (TAG.lastAction; `builder.execution`, recordStoppedByRun).
 */
export async function finishBuilder(
  input: {
    builder: Pick<BuilderRun, 'name' | 'region' | 'execution'>;
    delete: boolean;
    wait: PhaseWait;
    deadline?: number;
  },
  deps: PipelineDeps,
): Promise<SettleResult> {
  const client = deps.appstream(input.builder.region);
  let last: SettleResult = { done: false, state: 'UNKNOWN' };
  let action: SettleResult['action'];
  await pollWithin(input.wait, deps, async () => {
    last = await settleOnce(client, input.builder.name, input.delete);
    action = last.action ?? action;
    if (!last.done && input.deadline !== undefined && deps.clock.now() > input.deadline)
      throw new BuilderStopTimeout(
        `Image builder '${input.builder.name}' still ${last.state} past its deadline`,
      );
    return last.done;
  });
  const { arn, ...settled } = last as SettleResult;
  if (settled.done && settled.state === 'STOPPED' && !input.delete)
    await recordStoppedByRun(client, arn, input.builder.execution);
  return { ...settled, action };
}

/** Longest pause between two cleanup attempts while AWS keeps failing (backoff cap). */
const CLEANUP_MAX_BACKOFF_SECONDS = 300;

/** The loud line a run ends with when its builder could not be stopped. */
export const stillBillingMessage = (name: string, state?: string) =>
  `builder ${name} is still ${state && BILLING_STATES.includes(state) ? state : 'RUNNING'} and billing`;

export interface CleanupResult extends SettleResult {
  skipped?: string;
  /** Epoch ms: cleanup keeps trying until then (timeouts.cleanupMinutes after it began). */
  deadline: number;
  /** Cleanup calls so far (backoff). */
  attempts: number;
  /** Seconds the state machine waits before the next attempt (PollCleanup). */
  waitSeconds?: number;
  /** The last transient AWS error (throttling, 5xx) cleanup kept retrying through. */
  lastError?: string;
  /** Gave up at the deadline with the builder not stopped. */
  gaveUp?: boolean;
  /** Set with gaveUp: "builder X is still RUNNING and billing". */
  stillBilling?: string;
}

/**
 * Cleanup after a failure: only a builder this run created or started is touched. The derived
 * name finds a builder even when EnsureBuilder failed after launching it. Throttling and 5xx
 * don't end it: it keeps trying, backing off (pollSeconds doubling, up to 5 min) between calls,
 * until `timeouts.cleanupMinutes`; then it gives up (done, `gaveUp`, `stillBilling`) so the run
 * still reports its failure, loudly.
 */
export async function cleanupBuilder(
  input: {
    state: PipelineState & { cleanup?: { deadline?: number; attempts?: number; state?: string } };
    wait: PhaseWait;
  },
  deps: PipelineDeps,
): Promise<CleanupResult> {
  const { plan, builder, config } = input.state;
  const prev = input.state.cleanup;
  const deadline = prev?.deadline ?? deps.clock.now() + config.timeouts.cleanupMinutes * MIN;
  const attempts = (prev?.attempts ?? 0) + 1;
  const ours = builder ? builder.createdByRun || builder.startedByRun : !plan.reuseBuilder;
  if (!ours)
    return {
      done: true,
      state: 'UNTOUCHED',
      skipped: 'not launched or started by this run',
      deadline,
      attempts,
    };
  const del = plan.deleteBuilder && (builder?.createdByRun ?? true);
  const client = deps.appstream(plan.region);
  let last: SettleResult = { done: false, state: prev?.state ?? 'UNKNOWN' };
  let action: SettleResult['action'];
  let lastError: string | undefined;
  await pollWithin(input.wait, deps, async () => {
    try {
      last = await settleOnce(client, plan.builderName, del);
      action = last.action ?? action;
      lastError = undefined;
      return last.done;
    } catch (err) {
      // Throttling or 5xx left after the SDK's retries: look again later (don't leave it billing).
      if ((err as Error).name !== 'AwsTransientError') throw err;
      lastError = (err as Error).message;
      return false;
    }
  });
  const { arn, ...settled } = last as SettleResult;
  const result: CleanupResult = { ...settled, action, deadline, attempts, lastError };
  if (settled.done) {
    if (settled.state === 'STOPPED' && !del) await recordStoppedByRun(client, arn, plan.execution);
    return result;
  }
  if (deps.clock.now() > deadline)
    return {
      ...result,
      done: true,
      gaveUp: true,
      stillBilling: stillBillingMessage(plan.builderName, last.state),
    };
  const backoff = lastError
    ? Math.min(CLEANUP_MAX_BACKOFF_SECONDS, input.wait.pollSeconds * 2 ** Math.min(attempts - 1, 10))
    : input.wait.pollSeconds;
  return { ...result, waitSeconds: Math.max(1, Math.round(backoff)) };
}

/**
 * The loud message for a failed run whose cleanup could not stop the builder: it gave up at its
 * deadline, or failed for good (e.g. AccessDenied on StopImageBuilder: `$.cleanupError`).
 */
export function billingAlert(state: Record<string, unknown>): string | undefined {
  const cleanup = state.cleanup as CleanupResult | undefined;
  if (cleanup?.stillBilling) return cleanup.stillBilling;
  const plan = state.plan as { builderName?: string } | undefined;
  if (state.cleanupError && plan?.builderName) return stillBillingMessage(plan.builderName, cleanup?.state);
  return undefined;
}
