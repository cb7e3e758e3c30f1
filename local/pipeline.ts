import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DescribeImageBuildersCommand, ListTagsForResourceCommand } from '@aws-sdk/client-appstream';
import { type RunningEmulator, startEmulator } from '../emulator';
import { functions } from '../functions';
import type { BuilderChannel } from '../lib/agent/channel';
import type { CommandRunner } from '../lib/agent/emulator-channel';
import { findImage } from '../lib/appstream/queries';
import type { Notifier } from '../lib/notify/notifier';
import { BACKSTOP_STATUSES, type BackstopResult } from '../lib/pipeline/backstop';
import { stillBillingMessage } from '../lib/pipeline/builder';
import type { PipelineDeps, RunningExecution } from '../lib/pipeline/deps';
import { BILLING_STATES, startedByRunTag } from '../lib/pipeline/housekeeping';
import { derivedBuilderName, executionId } from '../lib/pipeline/resolve';
import { TAG } from '../lib/tags';
import type { AslDefinition } from './asl';
import { orchestrationCost } from './cost';
import { LOCAL_ACCOUNT, localDeps } from './local-deps';
import {
  type ExecutionStatusChangeEvent,
  type LocalHandler,
  type LocalRunResult,
  type ProgressEvent,
  runLocally,
} from './runner';

export const PIPELINE_ASL = fileURLToPath(
  new URL('../statemachines/image-pipeline.asl.json', import.meta.url),
);

export function loadDefinition(file = PIPELINE_ASL): AslDefinition {
  return JSON.parse(readFileSync(file, 'utf8')) as AslDefinition;
}

/** Our functions as local handlers with these dependencies. */
export function localHandlers(deps: PipelineDeps): Record<string, LocalHandler> {
  return Object.fromEntries(
    Object.entries(functions).map(([name, f]) => [name, f.withDeps(deps) as LocalHandler]),
  );
}

export interface LocalPipelineOptions {
  config: unknown;
  executionName?: string;
  /** Reuse a running emulator (tests); otherwise one is started and stopped. */
  emulator?: RunningEmulator;
  onProgress?: (e: ProgressEvent) => void;
  notifier?: Notifier;
  runCommand?: CommandRunner;
  /** Another way to reach the builder (default: the emulator's Image Assistant). */
  channel?: BuilderChannel;
  /** Stops the execution (like "Stop execution" in the console): it ends ABORTED. */
  signal?: AbortSignal;
  /** Overrides the state machine's TimeoutSeconds (tests). */
  executionTimeoutSeconds?: number;
}

export interface LocalPipelineSummary {
  image?: { name?: string; arn?: string; state?: string; tags?: Record<string, string> };
  /** `state` is the builder's AppStream state, DELETED, or NOT_LAUNCHED (the run stopped before launching one). */
  builder: { name?: string; state: string };
  virtualSeconds: number;
  wallMs: number;
  transitions: number;
  lambdaInvocations: number;
  cost: ReturnType<typeof orchestrationCost>;
  /** "builder X is still RUNNING and billing" when the run left its builder in a billing state. */
  alert?: string;
  /** What the execution backstop did (runs that ended FAILED, TIMED_OUT or ABORTED). */
  backstop?: BackstopResult | { error: string };
  /** The outcome notification failed (logged, counted as NotificationFailed; the run went on). */
  notificationError?: string;
}

/**
 * The local runtime's view of "RUNNING executions of the state machine" (what ListExecutions
 * answers on AWS), per emulator: the concurrent-run guard and builder pruning read it.
 */
const runningExecutions = new WeakMap<RunningEmulator, Map<string, RunningExecution>>();

/**
 * Puts the execution among the RUNNING ones (`registry`) and lets the pipeline's functions see
 * them (the concurrent-run guard, builder pruning).
 */
export function trackExecution(
  deps: PipelineDeps,
  registry: Map<string, RunningExecution>,
  executionName: string,
  startDate: number,
  config: unknown,
): void {
  const pipelineName = (config as { name?: unknown } | undefined)?.name;
  registry.set(executionName, {
    name: executionName,
    startDate,
    pipeline: typeof pipelineName === 'string' ? pipelineName : undefined,
  });
  deps.executions = { running: async () => [...registry.values()] };
}

/**
 * What EventBridge does on AWS when an execution ends: one that ended FAILED, TIMED_OUT or
 * ABORTED goes to the backstop function (which stops a builder left billing), invoked
 * asynchronously, so Lambda retries a failed call twice, 1 and 2 minutes later
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
 * Undefined for an execution that ended otherwise.
 */
export async function backstopOnEnd(
  deps: PipelineDeps,
  event: ExecutionStatusChangeEvent,
): Promise<LocalPipelineSummary['backstop']> {
  if (!(BACKSTOP_STATUSES as readonly string[]).includes(event.detail.status)) return undefined;
  const backstop = functions.executionBackstop.withDeps(deps);
  let backstopped: LocalPipelineSummary['backstop'];
  for (const pauseMinutes of [0, 1, 2]) {
    await deps.sleep(pauseMinutes * 60_000);
    backstopped = await (backstop(event) as Promise<BackstopResult>).catch((err: Error) => ({
      error: `${err.name}: ${err.message}`,
    }));
    if (!('error' in backstopped)) break;
  }
  return backstopped;
}

/**
 * The run's counts and cost, with the builder's state UNKNOWN, and where its image and builder
 * are: the run's plan, or for a failed run (no output) the builder named by the config or derived
 * from the execution. `existing`: the config names an existing builder.
 */
export function summaryOfRun(
  result: LocalRunResult,
  deps: PipelineDeps,
  config: unknown,
  executionName: string,
): {
  plan?: { imageName?: string; builderName: string; region: string };
  existing?: string;
  summary: LocalPipelineSummary;
} {
  const out = (result.output ?? {}) as { plan?: { imageName?: string; builderName: string; region: string } };
  const c = (config ?? {}) as { name?: string; region?: string; builder?: { existing?: string } };
  const plan =
    out.plan ??
    (c.name
      ? {
          builderName: c.builder?.existing ?? derivedBuilderName(c.name, executionName),
          region: c.region ?? deps.region,
        }
      : undefined);
  const summary: LocalPipelineSummary = {
    builder: { name: plan?.builderName, state: 'UNKNOWN' },
    virtualSeconds: (result.virtualEnd - result.virtualStart) / 1000,
    wallMs: result.wallMs,
    transitions: result.transitions,
    lambdaInvocations: result.lambdaInvocations,
    cost: orchestrationCost({
      transitions: result.transitions,
      lambdaInvocations: result.lambdaInvocations,
      lambdaPollSeconds: result.taskVirtualSeconds,
    }),
  };
  return { plan, existing: c.builder?.existing, summary };
}

/** Runs the image pipeline state machine locally against the emulator and summarizes the run. */
export async function runPipelineLocally(
  opts: LocalPipelineOptions,
): Promise<{ result: LocalRunResult; summary: LocalPipelineSummary; emulator: RunningEmulator }> {
  const own = !opts.emulator;
  const emu = opts.emulator ?? (await startEmulator({ seed: 1 }));
  // A notification that failed is in the summary (the run itself doesn't fail for it).
  let notificationError: string | undefined;
  const inner = opts.notifier;
  const notifier: Notifier | undefined = inner && {
    publish: (n) =>
      inner.publish(n).catch((err: Error) => {
        notificationError = `${err.name}: ${err.message}`;
        throw err;
      }),
    check: inner.check?.bind(inner),
  };
  const deps = localDeps(emu, {
    notifier,
    runCommand: opts.runCommand,
    channel: opts.channel,
  });
  const executionName = opts.executionName ?? `local-${Date.now().toString(36)}`;
  const registry = runningExecutions.get(emu) ?? new Map<string, RunningExecution>();
  runningExecutions.set(emu, registry);
  trackExecution(deps, registry, executionName, emu.world.now(), opts.config);
  let backstopped: LocalPipelineSummary['backstop'];
  // Whether EnsureBuilder completed: a builder that isn't there afterwards was deleted, not
  // "never launched" (a run refused in Resolve must not report a builder as DELETED).
  let builderEnsured = false;
  const onProgress = (e: ProgressEvent) => {
    if (e.type === 'exited' && e.state === 'EnsureBuilder') builderEnsured = true;
    opts.onProgress?.(e);
  };
  try {
    const result = await runLocally({
      definition: loadDefinition(),
      input: { config: opts.config },
      executionName,
      handlers: localHandlers(deps),
      time: { now: () => emu.world.now(), advance: (ms) => emu.control.advance(ms) },
      onProgress,
      signal: opts.signal,
      executionTimeoutSeconds: opts.executionTimeoutSeconds,
      region: deps.region,
      account: LOCAL_ACCOUNT,
      onStatusChange: async (event) => {
        registry.delete(executionName);
        backstopped = await backstopOnEnd(deps, event);
      },
    });
    const summary = await summarize(result, deps, opts.config, executionName, builderEnsured);
    summary.backstop = backstopped;
    if (notificationError) summary.notificationError = notificationError;
    return { result, summary, emulator: emu };
  } finally {
    registry.delete(executionName);
    for (const c of deps.clients) c.destroy();
    if (own) await emu.stop();
  }
}

async function summarize(
  result: LocalRunResult,
  deps: PipelineDeps,
  config: unknown,
  executionName: string,
  builderEnsured: boolean,
): Promise<LocalPipelineSummary> {
  const { plan, existing, summary } = summaryOfRun(result, deps, config, executionName);
  if (!plan) return summary;
  const client = deps.appstream(plan.region);
  if (plan.imageName) {
    const image = await findImage(client, { name: plan.imageName }).catch(() => undefined);
    const tags = image?.Arn
      ? (await client.send(new ListTagsForResourceCommand({ ResourceArn: image.Arn })).catch(() => undefined))
          ?.Tags
      : undefined;
    summary.image = { name: plan.imageName, arn: image?.Arn, state: image?.State ?? 'NOT_FOUND', tags };
  }
  const builders = await client
    .send(new DescribeImageBuildersCommand({ Names: [plan.builderName] }))
    .then(async (out) => {
      // Left billing: loud, unless it's an existing builder this run didn't start.
      const b = out.ImageBuilders?.[0];
      if (b?.State && BILLING_STATES.includes(b.State)) {
        const tags = existing
          ? (await client.send(new ListTagsForResourceCommand({ ResourceArn: b.Arn })).catch(() => undefined))
              ?.Tags
          : undefined;
        if (!existing || tags?.[TAG.lastAction] === startedByRunTag(executionId(executionName)))
          summary.alert = stillBillingMessage(plan.builderName, b.State);
      }
      return out;
    })
    .catch((e: Error) => (e.name === 'ResourceNotFoundException' ? { ImageBuilders: [] } : undefined));
  const gone = builderEnsured ? 'DELETED' : 'NOT_LAUNCHED';
  summary.builder.state = builders ? (builders.ImageBuilders?.[0]?.State ?? gone) : 'UNKNOWN';
  return summary;
}
