import { z } from 'zod';
import { definitionOfRun } from '../config/catalog';
import { TAG, tagValue } from '../tags';
import { type BackstopResult, backstop } from './backstop';
import type { PipelineDeps } from './deps';
import { BILLING_STATES, taggedBuilders } from './housekeeping';
import { executionId } from './resolve';

/**
 * The sweep's input (the hourly EventBridge schedule; serverless.yml). `stateMachineArn` defaults
 * to PIPELINE_STATE_MACHINE_ARN; `regions` adds regions to the deployment's own (pipelines with a
 * `region` of their own run their builders there).
 */
export const SweepInputSchema = z.looseObject({
  stateMachineArn: z.string().optional(),
  regions: z.array(z.string()).optional(),
});
export type SweepInput = z.infer<typeof SweepInputSchema>;

/** A builder younger than this is never swept: its execution may not be listed yet. */
export const SWEEP_MIN_AGE_MS = 15 * 60_000;

/**
 * Step Functions lists a closed execution for 90 days: one no longer listed ended that long ago at
 * the latest (the bound the sweep compares a builder's later activity with).
 */
export const EXECUTION_RETENTION_MS = 90 * 86_400_000;

/** How long the sweep waits for one execution's builders to settle. */
export const SWEEP_WINDOW_SECONDS = 60;

export interface SweepResult {
  regions: string[];
  /** Billing builders of this deployment whose execution is still RUNNING (left alone). */
  running: string[];
  /** What the backstop did for builders whose execution ended. */
  cleaned: BackstopResult[];
  /** Billing builders too young to judge. */
  young: string[];
  skipped?: string;
}

/**
 * The backstop's safety net. Step Functions status-change events reach EventBridge on a best
 * effort basis ("AWS Step Functions events", EventBridge reference), and an invocation that fails
 * all its retries lands in the dead-letter queue rather than stopping anything. So every hour this
 * looks at the deployment's billing builders tagged with an execution (TAG.execution,
 * TAG.deployment): one whose execution is no longer RUNNING (ListExecutions: any status but
 * RUNNING, or no longer listed) goes through the same backstop core, with the execution's input
 * when Step Functions still has it (whenDone, builder.existing), else stop-only. Builders younger
 * than 15 minutes are left for the next sweep: ListExecutions is eventually consistent.
 * Hours or days after the run, a billing builder may be a person's: it is left alone when its
 * TAG.lastAction says the run stopped it already, when the cleanup recorder saw it started,
 * connected to or logged on to after the execution's stopDate (90 days ago for one no longer
 * listed), or when an active TAG.keep forbids stopping it (backstop's `endedAt`, `keepSkips`).
 */
export async function sweepBuilders(input: SweepInput, deps: PipelineDeps): Promise<SweepResult> {
  const stateMachineArn = input.stateMachineArn ?? process.env.PIPELINE_STATE_MACHINE_ARN;
  const regions = [...new Set([deps.region, ...(input.regions ?? [])])];
  const result: SweepResult = { regions, running: [], cleaned: [], young: [] };
  if (!stateMachineArn || !deps.executions?.list)
    return { ...result, skipped: 'no state machine to ask which executions are RUNNING' };
  const executions = await deps.executions.list(stateMachineArn);
  const byTag = new Map<string, (typeof executions)[number]>();
  // Newest first: a name reused after 90 days maps to its latest execution.
  for (const e of [...executions].sort((a, b) => a.startDate - b.startDate)) {
    byTag.set(e.name, e);
    byTag.set(executionId(e.name), e);
  }
  const now = deps.clock.now();
  const smRegion = stateMachineArn.split(':')[3];
  for (const region of regions) {
    const stale = new Map<string, string[]>();
    for (const t of await taggedBuilders(deps.appstream(region))) {
      const tag = t.tags[TAG.execution];
      if (!tag || t.tags[TAG.deployment] !== tagValue(deps.deployment)) continue;
      if (!BILLING_STATES.includes(t.builder.State ?? '')) continue;
      const name = t.builder.Name ?? '';
      const e = byTag.get(tag);
      if (e?.status === 'RUNNING' || e?.status === 'PENDING_REDRIVE') {
        result.running.push(name);
        continue;
      }
      if (!e && now - (t.builder.CreatedTime?.getTime() ?? 0) < SWEEP_MIN_AGE_MS) {
        result.young.push(name);
        continue;
      }
      stale.set(tag, [...(stale.get(tag) ?? []), name]);
    }
    for (const tag of stale.keys()) {
      const e = byTag.get(tag);
      const execInput = e && deps.executions.input ? await deps.executions.input(e.arn) : undefined;
      // Only the builders of this region: the input's config.region would point elsewhere.
      let config: Record<string, unknown> | undefined;
      try {
        // {"config": {...}}, or {"pipeline": "<name>"}: the bundled definition it ran.
        config = definitionOfRun(JSON.parse(execInput ?? ''));
      } catch {
        config = undefined;
      }
      const name = e?.name ?? tag;
      const arn =
        e?.arn ??
        `${stateMachineArn.replace(':stateMachine:', ':execution:').replace(`:${smRegion}:`, `:${region}:`)}:${tag}`;
      // A short wait per execution (the stop requests are what matter; the call has 900 s for
      // all of them): a builder not yet settled is reported and looked at again next hour.
      const done = await backstop(
        {
          source: 'aws.states',
          'detail-type': 'Step Functions Execution Status Change',
          region,
          detail: {
            executionArn: arn,
            name,
            status: (e?.status ?? 'ABORTED') as 'ABORTED',
            input: config ? JSON.stringify({ config: { ...config, region } }) : null,
          },
        },
        deps,
        {
          anyStatus: true,
          windowSeconds: SWEEP_WINDOW_SECONDS,
          endedAt: e ? e.stopDate : now - EXECUTION_RETENTION_MS,
          keepSkips: true,
        },
      ).catch((err: Error): BackstopResult => {
        if (err.name !== 'BuilderStopTimeout') throw err;
        return {
          execution: name,
          status: e?.status ?? 'UNKNOWN',
          region,
          builders: [],
          skipped: err.message,
        };
      });
      result.cleaned.push(done);
    }
  }
  return result;
}
