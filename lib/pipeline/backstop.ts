import { z } from 'zod';
import { MINUTE } from '../cleanup/duration';
import { isoMinute, optOut, parseLastConnection } from '../cleanup/marks';
import { definitionOfRun } from '../config/catalog';
import { keepActive, TAG, tagValue } from '../tags';
import { finishBuilder, recordStoppedByRun } from './builder';
import type { PipelineDeps } from './deps';
import { BuilderStopTimeout } from './errors';
import {
  BILLING_STATES,
  isExecutionTag,
  ownedBy,
  startedByRunTag,
  stoppedByRunTag,
  taggedBuilders,
} from './housekeeping';
import { executionId } from './resolve';

/**
 * The EventBridge event Step Functions sends when an execution's status changes (source
 * `aws.states`, detail-type "Step Functions Execution Status Change"; the detail has the fields of
 * DescribeExecution: executionArn, stateMachineArn, name, status, startDate, stopDate, input,
 * inputDetails...: https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html). Delivery
 * is best effort; `input` is left out when input + output pass 248 KB (inputDetails.included).
 */
export const ExecutionStatusChangeSchema = z.looseObject({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  region: z.string().optional(),
  detail: z.looseObject({
    executionArn: z.string().min(1),
    stateMachineArn: z.string().optional(),
    name: z.string().min(1),
    status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']),
    input: z.string().nullish(),
    /** Epoch ms the execution ended (absent while RUNNING). */
    stopDate: z.number().nullish(),
  }),
});
export type ExecutionStatusChange = z.infer<typeof ExecutionStatusChangeSchema>;

/** Statuses after which CleanupBuilder may not have run (FAILED too: a Task that failed for good). */
export const BACKSTOP_STATUSES = ['ABORTED', 'TIMED_OUT', 'FAILED'] as const;

/** How long one backstop call waits for a builder to settle (Lambda timeout 900 s, minus headroom). */
export const BACKSTOP_WINDOW_SECONDS = 840;

const BACKSTOP_WAIT = {
  firstSeconds: 0,
  loopWaitSeconds: 0,
  pollSeconds: 15,
  windowSeconds: BACKSTOP_WINDOW_SECONDS,
};

export interface BackstopBuilder {
  name: string;
  action: 'stopped' | 'deleted' | 'left';
  state: string;
  reason?: string;
}

/**
 * The latest sign in TAG.lastConnection (the cleanup recorder: `started@`, a connection, a presence
 * heartbeat) that someone started or used the builder after its run ended at `endedAt`; undefined
 * when there is none. A minute of slack: the recorder rounds its times up to the minute, so the
 * run's own start can read up to a minute late.
 */
export function activityAfter(value: string | undefined, endedAt: number): string | undefined {
  const c = parseLastConnection(value);
  if (!c) return undefined;
  const signs = [
    ['started', c.startedAt],
    ['connected', c.connectedAt],
    ['logged on', c.presenceAt],
  ] as const;
  const late = signs.filter(([, at]) => at !== undefined && at > endedAt + MINUTE);
  if (!late.length) return undefined;
  const [what, at] = late.reduce((a, b) => ((b[1] ?? 0) > (a[1] ?? 0) ? b : a));
  return `${what} ${isoMinute(at ?? 0)}`;
}

export interface BackstopResult {
  execution: string;
  status: string;
  region: string;
  builders: BackstopBuilder[];
  skipped?: string;
}

const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

/** What the backstop needs from the execution's input (the pipeline definition), when present. */
function pipelineOf(input: string | null | undefined) {
  try {
    // {"config": {...}}, or {"pipeline": "<name>"}: the bundled definition it ran.
    const c = definitionOfRun(JSON.parse(input ?? '')) ?? {};
    const b = (c.builder ?? {}) as Record<string, unknown>;
    return {
      name: typeof c.name === 'string' ? c.name : undefined,
      region: typeof c.region === 'string' ? c.region : undefined,
      existing: typeof b.existing === 'string' ? b.existing : undefined,
      whenDone: b.whenDone === 'delete' ? ('delete' as const) : ('stop' as const),
    };
  } catch {
    // No input (too large for the event) or not ours: tags alone decide.
    return { whenDone: 'stop' as const };
  }
}

/**
 * Backstop for executions that ended without reaching CleanupBuilder (stopped in the console,
 * TIMED_OUT, or failed in a way no Catch saw): finds the execution's builder by its TAG.execution
 * tag in the pipeline's region (the input's `config.region`, else the execution's region) and
 * leaves it stopped, or deleted with `whenDone: delete`. A builder the pipeline doesn't own
 * (`builder.existing`, no TAG.managed) is only stopped when TAG.lastAction says this run started
 * it, and never deleted; nor is a builder whose TAG.keep is active (stopped instead). Only
 * builders of this deployment (TAG.deployment) are looked at. Idempotent: a builder already STOPPED (cleanup ran) is left as it is.
 * Never the run's to stop, so left as it is: a builder whose TAG.lastAction says the run stopped it
 * already (`stopped by run <id>`: someone started it since), and one the cleanup recorder saw
 * started, connected to or logged on to after the execution ended (TAG.lastConnection later than
 * `stopDate`, or `opts.endedAt`). With `opts.keepSkips` (the sweep) an active TAG.keep that
 * forbids stopping (`true`, a date not yet passed: cleanup's optOut reading) leaves it alone too;
 * `stop-only` is stopped. A builder it leaves stopped gets `stopped by run <id>` (TAG.lastAction).
 * Throws BuilderStopTimeout when a builder doesn't settle within the call, so the asynchronous
 * invocation is retried (Lambda retries failed asynchronous invocations twice).
 */
export async function backstop(
  event: ExecutionStatusChange,
  deps: PipelineDeps,
  /**
   * The sweep: `anyStatus`: the execution is known to have ended, whatever its status (SUCCEEDED
   * too); `endedAt`: when it ended at the latest (epoch ms; else the event's stopDate);
   * `keepSkips`: an active TAG.keep leaves the builder alone.
   */
  opts: { anyStatus?: boolean; windowSeconds?: number; endedAt?: number; keepSkips?: boolean } = {},
): Promise<BackstopResult> {
  const { detail } = event;
  const arnRegion = detail.executionArn.split(':')[3] ?? '';
  const pipeline = pipelineOf(detail.input);
  const region = pipeline.region ?? (REGION.test(arnRegion) ? arnRegion : deps.region);
  const result: BackstopResult = { execution: detail.name, status: detail.status, region, builders: [] };
  if (!opts.anyStatus && !(BACKSTOP_STATUSES as readonly string[]).includes(detail.status))
    return { ...result, skipped: `status ${detail.status}: nothing to clean up` };

  const client = deps.appstream(region);
  const mine = (await taggedBuilders(client)).filter(
    (t) =>
      isExecutionTag(t.tags[TAG.execution], detail.name) &&
      t.tags[TAG.deployment] === tagValue(deps.deployment) &&
      (!pipeline.name || t.tags[TAG.pipeline] === tagValue(pipeline.name)),
  );
  const unsettled: string[] = [];
  const run = executionId(detail.name);
  const endedAt = opts.endedAt ?? detail.stopDate ?? undefined;
  for (const { builder, tags } of mine) {
    const name = builder.Name!;
    const owned = ownedBy(tags, deps.deployment) && name !== pipeline.existing;
    const leave = (reason: string) =>
      result.builders.push({ name, action: 'left', state: builder.State ?? 'UNKNOWN', reason });
    const later = endedAt === undefined ? undefined : activityAfter(tags[TAG.lastConnection], endedAt);
    const noStop = opts.keepSkips && !optOut(tags[TAG.keep], deps.clock.now()).stop;
    if (tags[TAG.lastAction] === stoppedByRunTag(run)) {
      const since = BILLING_STATES.includes(builder.State ?? '') ? ': started again since' : '';
      leave(`its run stopped it already (${TAG.lastAction}=${tags[TAG.lastAction]})${since}`);
      continue;
    }
    if (!owned && tags[TAG.lastAction] !== startedByRunTag(run)) {
      leave('an existing builder this run did not start');
      continue;
    }
    if (later) {
      leave(`${later}, after its run ended: someone uses it`);
      continue;
    }
    if (noStop) {
      leave(`kept (${TAG.keep}=${tags[TAG.keep]})`);
      continue;
    }
    // A person tagged it to keep (TAG.keep): stopped, never deleted.
    const kept = keepActive(tags[TAG.keep], deps.clock.now());
    const del = owned && pipeline.whenDone === 'delete' && !kept;
    const settled = await finishBuilder(
      {
        builder: { name, region },
        delete: del,
        wait: { ...BACKSTOP_WAIT, windowSeconds: opts.windowSeconds ?? BACKSTOP_WINDOW_SECONDS },
      },
      deps,
    );
    // A builder stops by itself once its image is created (SNAPSHOTTING → STOPPED): enough
    // when it is only to be stopped; to delete it, the retry waits for STOPPED.
    const stopsItself = !del && settled.state === 'SNAPSHOTTING';
    if (!settled.done && !stopsItself) unsettled.push(`${name} (${settled.state})`);
    // Stopped (or on its way): the run's claim on it ends here (a retry finds it STOPPING or STOPPED).
    if (!del && (settled.state === 'STOPPED' || settled.action === 'stopped' || stopsItself))
      await recordStoppedByRun(client, builder.Arn, run);
    result.builders.push({
      name,
      action: del ? 'deleted' : 'stopped',
      state: settled.done && del ? 'DELETED' : settled.state,
      ...(stopsItself
        ? { reason: 'stops by itself when its image is created' }
        : kept && owned && pipeline.whenDone === 'delete'
          ? { reason: `kept (${TAG.keep}=${tags[TAG.keep]}): stopped, not deleted` }
          : {}),
    });
  }
  if (unsettled.length)
    throw new BuilderStopTimeout(
      `backstop for execution ${detail.name}: ${unsettled.join(', ')} not stopped within ${opts.windowSeconds ?? BACKSTOP_WINDOW_SECONDS} s; retried`,
    );
  return result;
}
