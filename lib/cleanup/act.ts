/**
 * Carries out one decision (lib/cleanup/decide.ts) on one builder: StopImageBuilder (RUNNING
 * only) or DeleteImageBuilder (STOPPED only), then the decision's tag changes (TagResource /
 * UntagResource) — after the action succeeded, never before: a mark saying `stopped@` on a builder
 * still RUNNING would restart its idle clock. Nothing is called in a dry run.
 *
 * - A state error (OperationNotPermittedException: the builder changed state since the listing;
 *   ConcurrentModificationException; ResourceNotFoundException: gone) → the builder is described
 *   again: a stop whose builder is now STOPPING or STOPPED, a delete whose builder is DELETING or
 *   gone, went through (an SDK retry of a call whose first attempt AWS carried out gets such an
 *   error) → `applied`, with the marks written; else `skipped`, with the error: the next run
 *   decides again from what it then finds.
 * - Throttling and 5xx left after the retries → AwsTransientError (thrown: the sweep reports the
 *   builder failed, to be retried next run).
 * - Anything else AWS refuses (AccessDenied, a quota) → `failed`, with the error.
 */
import {
  type AppStreamClient,
  DeleteImageBuilderCommand,
  StopImageBuilderCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-appstream';
import type { BuilderFacts, CleanupDecision } from './decide';
import type { Call } from './inventory';

export type ActResult = 'applied' | 'dry-run' | 'failed' | 'skipped';

export interface ActOutcome {
  /** warn/stop/delete: what happened; none/skip: only set when writing the marks failed. */
  result?: ActResult;
  error?: string;
  /** AWS write calls made. */
  writes: number;
}

/** Errors meaning "the builder is not (or no longer) in a state for this": retried next run. */
const STATE_ERRORS = [
  'OperationNotPermittedException',
  'ConcurrentModificationException',
  'ResourceNotFoundException',
];

const text = (err: unknown) => {
  const e = err as Error;
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
};

export async function act(
  client: AppStreamClient,
  builder: BuilderFacts,
  decision: CleanupDecision,
  opts: {
    dryRun: boolean;
    call: Call;
    /**
     * Decides again from the builder as it is now (fresh tags and state), just before a stop or
     * delete: the listing's tags may lag (GetResources), a connection may have been recorded since.
     * Acted on only if it still says the same; undefined: the builder is gone.
     */
    recheck?: () => Promise<CleanupDecision | undefined>;
    /** The builder's state now (DescribeImageBuilders); undefined: gone. After a state error. */
    state?: () => Promise<string | undefined>;
  },
): Promise<ActOutcome> {
  const acting = decision.action === 'warn' || decision.action === 'stop' || decision.action === 'delete';
  if (opts.dryRun) return acting ? { result: 'dry-run', writes: 0 } : { writes: 0 };
  let writes = 0;
  const { call } = opts;
  const name = builder.name;
  if (opts.recheck && (decision.action === 'stop' || decision.action === 'delete')) {
    const fresh = await opts.recheck();
    if (fresh?.action !== decision.action) {
      // The fresh decision's bookkeeping (a plan withdrawn: the builder is rebooting, active
      // again, owned by a pipeline run) is written now: left for the next run, an old warning
      // could let that run stop the builder once it is back. Never a warning's marks here.
      if (fresh && (fresh.action === 'none' || fresh.action === 'skip') && fresh.tags)
        writes += (await act(client, builder, fresh, { dryRun: false, call })).writes;
      return {
        result: 'skipped',
        error: `re-checked before ${decision.action}: ${fresh ? `now ${fresh.action}: ${fresh.reason}` : 'gone'}`,
        writes,
      };
    }
    decision = fresh;
  }
  try {
    if (decision.action === 'stop' || decision.action === 'delete') {
      const wanted = decision.action === 'stop' ? 'RUNNING' : 'STOPPED';
      if (builder.state !== wanted)
        return { result: 'skipped', error: `${builder.state}: ${decision.action} needs ${wanted}`, writes };
      writes++;
      if (decision.action === 'stop')
        await call(`StopImageBuilder ${name}`, () =>
          client.send(new StopImageBuilderCommand({ Name: name })),
        );
      else
        await call(`DeleteImageBuilder ${name}`, () =>
          client.send(new DeleteImageBuilderCommand({ Name: name })),
        );
    }
  } catch (err) {
    const e = err as Error;
    if (e?.name === 'AwsTransientError') throw err;
    if (!STATE_ERRORS.includes(e?.name)) return { result: 'failed', error: text(err), writes };
    if (!(await wentThrough(decision.action, opts.state)))
      return { result: 'skipped', error: text(err), writes };
  }
  // A deleted builder has no tags left to write.
  const changes = decision.action === 'delete' ? undefined : decision.tags;
  const arn = builder.arn;
  if (changes && arn) {
    try {
      if (Object.keys(changes.set).length > 0) {
        writes++;
        await call(`TagResource ${name}`, () =>
          client.send(new TagResourceCommand({ ResourceArn: arn, Tags: changes.set })),
        );
      }
      if (changes.remove.length > 0) {
        writes++;
        await call(`UntagResource ${name}`, () =>
          client.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: changes.remove })),
        );
      }
    } catch (err) {
      const e = err as Error;
      // The stop or delete happened: report it, with the marks that are missing.
      if (decision.action === 'stop')
        return { result: 'applied', error: `marks not written: ${text(err)}`, writes };
      if (e?.name === 'AwsTransientError') throw err;
      if (STATE_ERRORS.includes(e?.name)) return { result: 'skipped', error: text(err), writes };
      return { result: 'failed', error: text(err), writes };
    }
  }
  return acting ? { result: 'applied', writes } : { writes };
}

/**
 * Whether a stop or delete refused with a state error was carried out all the same (by an
 * earlier attempt of the same call): the builder is STOPPING/STOPPED (stop), DELETING or gone
 * (delete). Unknown (no way to look, the look failed): no.
 */
async function wentThrough(
  action: CleanupDecision['action'],
  state: (() => Promise<string | undefined>) | undefined,
): Promise<boolean> {
  if (!state || (action !== 'stop' && action !== 'delete')) return false;
  let now: string | undefined;
  try {
    now = await state();
  } catch {
    return false;
  }
  return action === 'stop'
    ? now === 'STOPPING' || now === 'STOPPED'
    : now === undefined || now === 'DELETING';
}
