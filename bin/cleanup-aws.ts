/** `autopilot cleanup run --aws`: one execution of the deployed builder-cleanup state machine. */
import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { CleanupPlan } from '../lib/cleanup/plan';
import { type CleanupRunOutput, skippedSummary } from '../lib/cleanup/summary';
import {
  backoffMs,
  executionName,
  failedExecutionLine,
  pollExecution,
  withSfn,
} from '../lib/cli/aws-executions';
import { decisionLines, decisionsJson, failedExit, type ReportSummary, summaryLines } from './cleanup-report';
import { stateMachineArnOption } from './schedule-aws';

export interface CleanupOnAws {
  /** The policy file's name (for the heading) and its content as parsed (the execution's input). */
  path: string;
  policy: unknown;
  stateMachineArn: string | undefined;
  region?: string;
  dryRun: boolean;
  json: boolean;
  /** false: print the execution ARN and return (`--no-wait`). */
  wait: boolean;
  sfn?: SFNClient;
  /** Tests: the pause between looks, and the Ctrl-C that ends the wait. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
}

/** Exit code when Ctrl-C ended the wait (128 + SIGINT): the execution goes on. */
export const INTERRUPTED = 130;

/**
 * Starts the deployed state machine with the policy file as its input (`{policy, dryRun?, detail}`:
 * Plan takes the input's policy over the deployment's bundled file, lib/cleanup/plan.ts PlanInput;
 * `detail` asks for every builder's row, within each batch's share of the 256 KiB state payload).
 * The state machine is a Standard workflow (serverless.yml): there is no StartSyncExecution for it,
 * so StartExecution, then DescribeExecution every 2, 4, 8, then 10 s until it ends (a run takes
 * seconds to minutes; its TimeoutSeconds is 840). The name is `cleanup-<UTC stamp>-<4 hex>`: unique
 * per run, as StartExecution wants (a name already used answers ExecutionAlreadyExists unless the
 * execution is still open with the same input; Step Functions API reference, StartExecution).
 * Ctrl-C ends the wait only: a Standard execution runs on without its starter.
 */
export async function runCleanupOnAws(o: CleanupOnAws): Promise<number> {
  const stateMachineArn = stateMachineArnOption(o.stateMachineArn, 'builder-cleanup');
  return withSfn(stateMachineArn, o.region, o.sfn, async (sfn) => {
    const input = { policy: o.policy, ...(o.dryRun ? { dryRun: true } : {}), detail: true };
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        name: executionName('cleanup', Date.now()),
        input: JSON.stringify(input),
      }),
    );
    const arn = executionArn ?? '';
    if (!o.wait) {
      console.log(arn);
      return 0;
    }
    console.error(`Started ${arn}; waiting for it to end (Ctrl-C stops the waiting, not the execution)…`);
    const ctrlC = new AbortController();
    const onSigint = () => ctrlC.abort();
    if (!o.signal) process.once('SIGINT', onSigint);
    const signal = o.signal ?? ctrlC.signal;
    let out: Awaited<ReturnType<typeof pollExecution>>;
    try {
      out = await pollExecution(sfn, arn, { delayMs: backoffMs, sleep: o.sleep, signal });
    } catch (err) {
      if (!signal.aborted) throw err;
      console.error(
        `Stopped waiting: ${arn} is still running on AWS (its result: aws stepfunctions describe-execution --execution-arn ${arn})`,
      );
      return INTERRUPTED;
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
    if (out.status !== 'SUCCEEDED') {
      console.error(failedExecutionLine(out));
      return 1;
    }
    const { decisions, summary } = reportOf(JSON.parse(out.output ?? 'null'));
    if (o.json) console.log(JSON.stringify(decisionsJson(decisions, summary)));
    else {
      console.log(
        `Idle builder cleanup from ${o.path} on AWS (${arn})${summary.dryRun ? ': DRY RUN, nothing changed' : ''}`,
      );
      for (const line of decisionLines(decisions)) console.log(line);
      console.log('');
      for (const line of summaryLines(summary)) console.log(line);
      console.log(
        `  execution ${out.status}${out.startDate && out.stopDate ? ` in ${Math.round((out.stopDate.getTime() - out.startDate.getTime()) / 1000)} s` : ''}`,
      );
    }
    return failedExit(decisions, summary);
  });
}

/**
 * The execution's output as the CLI reports it: Summarize's `{summary, decisions}`, or Plan's
 * result with `skip` when an earlier run was still going (the Skipped state ends the run at once).
 * Connection events are not caught up here: on AWS EventBridge delivers them as they happen.
 */
export function reportOf(output: CleanupRunOutput | CleanupPlan | null): {
  decisions: CleanupRunOutput['decisions'];
  summary: ReportSummary;
} {
  if (!output || typeof output !== 'object')
    throw Object.assign(new Error('the execution succeeded without an output'), {
      name: 'CleanupOutputError',
    });
  if ('skip' in output && output.skip) return { decisions: [], summary: skippedSummary(output) };
  const run = output as CleanupRunOutput;
  if (!run.summary)
    throw Object.assign(
      new Error('the execution output has no summary (is this the builder-cleanup state machine?)'),
      {
        name: 'CleanupOutputError',
      },
    );
  return { decisions: run.decisions ?? [], summary: run.summary };
}
