import {
  type AppStreamClient,
  DeleteImageBuilderCommand,
  type ImageBuilder,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-appstream';
import { listBuilders } from '../appstream/queries';
import { aws, isNotFound, unexpected } from '../aws/call';
import type { PipelineConfig } from '../config/pipeline';
import { keepActive, TAG, tagValue } from '../tags';
import type { PipelineDeps, RunningExecution } from './deps';
import { PipelineAlreadyRunning } from './errors';
import { executionId } from './resolve';

/** Builder states in which AWS bills the instance. */
export const BILLING_STATES = [
  'PENDING',
  'RUNNING',
  'STOPPING',
  'SNAPSHOTTING',
  'UPDATING_AGENT',
  'REBOOTING',
];

export interface TaggedBuilder {
  builder: ImageBuilder;
  tags: Record<string, string>;
}

/** Every image builder in the region with its tags (DescribeImageBuilders doesn't return tags). */
export async function taggedBuilders(client: AppStreamClient): Promise<TaggedBuilder[]> {
  const tagged: TaggedBuilder[] = [];
  for (const builder of await listBuilders(client)) {
    if (!builder.Arn) continue;
    try {
      const out = await aws('ListTagsForResource', () =>
        client.send(new ListTagsForResourceCommand({ ResourceArn: builder.Arn })),
      );
      tagged.push({ builder, tags: out?.Tags ?? {} });
    } catch (err) {
      // Deleted between the two calls: nothing to look at.
      if (!isNotFound(err)) throw unexpected('ListTagsForResource', err);
    }
  }
  return tagged;
}

/**
 * True when tags say this deployment's pipeline `pipeline` created the resource: TAG.managed=true,
 * TAG.deployment=`deployment` (another stage in the same account owns its own builders and
 * images) and, when given, TAG.pipeline=`pipeline`.
 */
export const ownedBy = (tags: Record<string, string>, deployment: string, pipeline?: string) =>
  tags[TAG.managed] === 'true' &&
  tags[TAG.deployment] === tagValue(deployment) &&
  (pipeline === undefined || tags[TAG.pipeline] === tagValue(pipeline));

/** True when a TAG.execution value names this execution (its name or its short id). */
export const isExecutionTag = (value: string | undefined, executionName: string) =>
  value !== undefined && (value === executionName || value === executionId(executionName));

const runningFor = (value: string | undefined, running: RunningExecution[]) =>
  running.find((e) => isExecutionTag(value, e.name));

export interface PrepareRunInput {
  config: PipelineConfig;
  region: string;
  /** This execution's name and ARN ($$.Execution.Name / $$.Execution.Id). */
  execution: string;
  executionArn?: string;
  /** The builder this run uses (derived or `builder.existing`). */
  builderName: string;
}

export interface PrepareRunResult {
  /** Stopped/failed builders of this pipeline deleted to stay under the builder quota. */
  deleted: string[];
  /** The one stopped builder kept for debugging. */
  kept?: string;
}

/**
 * Before anything is launched:
 * 1. Refuses a second concurrent run of the pipeline (unless `concurrency.allowParallel`):
 *    another RUNNING execution of the same state machine for the same pipeline that started
 *    earlier (ties: the smaller name wins), or a billing builder of the pipeline tagged with
 *    another execution that is still RUNNING. No database: Step Functions' own list of RUNNING
 *    executions plus the builders' tags are the state. Best effort: ListExecutions "is eventually
 *    consistent. The results are best effort and may not reflect very recent updates and changes"
 *    (Step Functions API reference, ListExecutions), so two runs started moments apart may both
 *    pass; each still has its own builder and image name (derived from its execution).
 * 2. Prunes the pipeline's builders: a pipeline owns the builders tagged TAG.managed=true,
 *    TAG.deployment=<this deployment> and TAG.pipeline=<name> (ownedBy); of those that are STOPPED or FAILED, keeps the newest one (to debug the
 *    last run) and deletes the others, so `whenDone: stop` never piles builders up to the quota.
 *    Never touches `builder.existing`, this run's builder, a builder of a RUNNING execution, or a
 *    builder a person tagged to keep (TAG.keep `true`, `stop-only` or a date not yet passed).
 */
export async function prepareRun(input: PrepareRunInput, deps: PipelineDeps): Promise<PrepareRunResult> {
  const { config } = input;
  const client = deps.appstream(input.region);
  const all = (await deps.executions?.running(input.executionArn)) ?? [];
  const selfStart = all.find((e) => e.name === input.execution)?.startDate ?? deps.clock.now();
  const running = all.filter((e) => e.name !== input.execution);
  // This deployment's builders of the pipeline (a reused `builder.existing` carries no
  // TAG.managed but blocks a concurrent run all the same); only managed ones are pruned.
  const ours = (await taggedBuilders(client)).filter(
    (t) =>
      t.tags[TAG.deployment] === tagValue(deps.deployment) && t.tags[TAG.pipeline] === tagValue(config.name),
  );

  if (!config.concurrency.allowParallel) {
    const earlier = running.find(
      (e) =>
        e.pipeline === config.name &&
        (e.startDate < selfStart || (e.startDate === selfStart && e.name < input.execution)),
    );
    if (earlier)
      throw new PipelineAlreadyRunning(
        `pipeline ${config.name} is already running (execution ${earlier.name}); set concurrency.allowParallel: true to allow parallel runs`,
      );
    for (const t of ours) {
      const other = runningFor(t.tags[TAG.execution], running);
      if (other && BILLING_STATES.includes(t.builder.State ?? ''))
        throw new PipelineAlreadyRunning(
          `pipeline ${config.name} is already running: builder ${t.builder.Name} is ${t.builder.State} for execution ${other.name}; set concurrency.allowParallel: true to allow parallel runs`,
        );
    }
  }

  const prunable = ours
    .filter(
      (t) =>
        ownedBy(t.tags, deps.deployment) &&
        !keepActive(t.tags[TAG.keep], deps.clock.now()) &&
        t.builder.Name !== config.builder.existing &&
        t.builder.Name !== input.builderName &&
        (t.builder.State === 'STOPPED' || t.builder.State === 'FAILED') &&
        !runningFor(t.tags[TAG.execution], running),
    )
    .sort((a, b) => (b.builder.CreatedTime?.getTime() ?? 0) - (a.builder.CreatedTime?.getTime() ?? 0));
  const [keep, ...old] = prunable;
  const deleted: string[] = [];
  for (const t of old) {
    const name = t.builder.Name!;
    try {
      await aws('DeleteImageBuilder', () => client.send(new DeleteImageBuilderCommand({ Name: name })));
      deleted.push(name);
    } catch (err) {
      // Gone already, or started again meanwhile (OperationNotPermitted): leave it.
      const n = (err as Error).name;
      if (n !== 'ResourceNotFoundException' && n !== 'OperationNotPermittedException')
        throw unexpected('DeleteImageBuilder', err);
    }
  }
  return { deleted, kept: keep?.builder.Name };
}

/** TAG.lastAction on a `builder.existing` this run started: the backstop may stop it. */
export const startedByRunTag = (executionShortId: string) => `started by run ${executionShortId}`;

/**
 * TAG.lastAction once the run (FinishBuilder, CleanupBuilder) or its backstop stopped the builder:
 * no longer startedByRunTag, so a start by someone else later is never the run's to undo, and the
 * backstop leaves a builder that says so alone.
 */
export const stoppedByRunTag = (executionShortId: string) => `stopped by run ${executionShortId}`;
