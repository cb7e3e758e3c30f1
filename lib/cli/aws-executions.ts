import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { PipelineConfig } from '../config/pipeline';

/** Longest execution name StartExecution accepts (1-80 characters). */
export const MAX_EXECUTION_NAME = 80;
/**
 * Our execution-name rule: 1-80 letters, digits, `-` and `_`. StartExecution refuses white space,
 * brackets, `? *`, `" # % \ ^ | ~ ` $ & , ; : /` and control characters, and "to enable logging
 * with CloudWatch Logs, the name should only contain 0-9, A-Z, a-z, - and _" (Step Functions API
 * reference, StartExecution `name`); the builder's name derives from it too.
 */
export const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;
export const EXECUTION_NAME_RULE =
  'an execution name is 1 to 80 letters, digits, - and _ (Step Functions StartExecution; unique per state machine for 90 days)';

/**
 * The execution name: `--name` as given (refused, never rewritten, when it breaks the rule), else
 * `<pipeline>-<UTC yyyymmddThhmmssZ>-<4 random hex>`, the pipeline part cut so the whole is at
 * most 80: always valid and unique per run even for long pipeline names that share a prefix.
 */
export function executionName(
  pipeline: string,
  now: number,
  name?: string,
  random = randomBytes(2).toString('hex'),
) {
  if (name !== undefined) {
    if (!EXECUTION_NAME.test(name)) throw new Error(`invalid --name '${name}': ${EXECUTION_NAME_RULE}`);
    return name;
  }
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const suffix = `-${stamp}-${random}`;
  const head = pipeline.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, MAX_EXECUTION_NAME - suffix.length);
  return `${head}${suffix}`;
}

/** Starts the deployed image pipeline with a validated definition as input. */
export async function startPipelineExecution(
  sfn: SFNClient,
  stateMachineArn: string,
  name: string,
  config: PipelineConfig,
): Promise<string> {
  if (!EXECUTION_NAME.test(name)) throw new Error(`invalid execution name '${name}': ${EXECUTION_NAME_RULE}`);
  const out = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ config }) }),
  );
  return out.executionArn!;
}

const STILL_BILLING = /builder \S+ is still [A-Z_]+ and billing/;

/**
 * The "builder X is still RUNNING and billing" alert of an execution: a failed execution carries it
 * at the start of its Cause (the state machine's StillBilling? states), a succeeded one in its
 * output (`alert`, or the cleanup's `stillBilling`).
 */
export function billingAlertOf(
  out: Pick<DescribeExecutionCommandOutput, 'cause' | 'output'>,
): string | undefined {
  const inCause = out.cause?.match(STILL_BILLING)?.[0];
  if (inCause) return inCause;
  if (!out.output) return undefined;
  try {
    const o = JSON.parse(out.output) as { alert?: string; cleanup?: { stillBilling?: string } };
    return o.alert ?? o.cleanup?.stillBilling;
  } catch {
    return out.output.match(STILL_BILLING)?.[0];
  }
}

/** Exit code for an execution: 0 succeeded (or still running), 1 failed/timed out/aborted, 3 still billing. */
export function executionExitCode(out: Pick<DescribeExecutionCommandOutput, 'status' | 'cause' | 'output'>) {
  if (billingAlertOf(out)) return 3;
  return out.status === 'SUCCEEDED' || out.status === 'RUNNING' || out.status === 'PENDING_REDRIVE' ? 0 : 1;
}

/** One-paragraph status of an execution, its exit code, and the execution as described. */
export async function pipelineExecutionStatus(
  sfn: SFNClient,
  executionArn: string,
): Promise<{ text: string; code: number; status: string }> {
  const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  return { text: formatExecution(out), code: executionExitCode(out), status: out.status ?? 'UNKNOWN' };
}

function formatExecution(out: DescribeExecutionCommandOutput): string {
  const lines = [`${out.name}: ${out.status}${out.error ? ` — ${out.error}: ${out.cause}` : ''}`];
  lines.push(
    `  started ${out.startDate?.toISOString()}${out.stopDate ? `, stopped ${out.stopDate.toISOString()}` : ''}`,
  );
  if (out.output) {
    try {
      const o = JSON.parse(out.output) as {
        plan?: { imageName?: string; builderName?: string; region?: string };
      };
      if (o.plan) lines.push(`  image ${o.plan.imageName} (${o.plan.region}), builder ${o.plan.builderName}`);
    } catch {
      // Not JSON: nothing more to say.
    }
  }
  const alert = billingAlertOf(out);
  if (alert)
    lines.push(
      `!!! WARNING: ${alert}; stop it: aws appstream stop-image-builder --name ${alert.split(' ')[1]} !!!`,
    );
  return lines.join('\n');
}

/** One-paragraph status of an execution. */
export async function describePipelineExecution(sfn: SFNClient, executionArn: string): Promise<string> {
  return (await pipelineExecutionStatus(sfn, executionArn)).text;
}

/**
 * Polls DescribeExecution until the execution is no longer RUNNING (`pipeline run --aws --wait`).
 * `onPoll` sees each look. DescribeExecution is throttled per account and region (Step Functions
 * quotas, "Quotas related to API action throttling"): one look every `intervalMs` (default 30 s).
 */
export async function waitForExecution(
  sfn: SFNClient,
  executionArn: string,
  opts: {
    intervalMs?: number;
    sleep?: (ms: number) => Promise<void>;
    onPoll?: (status: string) => void;
  } = {},
): Promise<{ text: string; code: number; status: string }> {
  const out = await pollExecution(sfn, executionArn, {
    delayMs: () => opts.intervalMs ?? 30_000,
    sleep: opts.sleep,
    onPoll: opts.onPoll,
  });
  return { text: formatExecution(out), code: executionExitCode(out), status: out.status ?? 'UNKNOWN' };
}

/**
 * A deployed Step Functions state machine's ARN (`arn:<partition>:states:<region>:<account>:
 * stateMachine:<name>[:<version or alias>]`); its region is where the client goes.
 */
export const STATE_MACHINE_ARN =
  /^arn:aws[a-z-]*:states:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):stateMachine:[A-Za-z0-9_-]{1,80}(?::[A-Za-z0-9_.$-]+)?$/;

/** The Step Functions client for a state machine: `--region`, else the ARN's region. */
export const sfnClientFor = (stateMachineArn: string, region?: string) =>
  new SFNClient({ region: region ?? stateMachineArn.split(':')[3] });

/**
 * Runs `fn` with the given client, or with one made for the state machine (`--aws` commands) and
 * destroyed after. AWS errors are left to the command line's top level (bin/autopilot.ts): one line,
 * `<ErrorName>: <message>` (StateMachineDoesNotExist, AccessDeniedException, …), exit 1.
 */
export async function withSfn<T>(
  stateMachineArn: string,
  region: string | undefined,
  sfn: SFNClient | undefined,
  fn: (client: SFNClient) => Promise<T>,
): Promise<T> {
  const client = sfn ?? sfnClientFor(stateMachineArn, region);
  try {
    return await fn(client);
  } finally {
    if (!sfn) client.destroy();
  }
}

/** `<execution ARN>: FAILED — <Error>: <Cause>`: an execution that did not succeed, in one line. */
export const failedExecutionLine = (
  out: Pick<DescribeExecutionCommandOutput, 'executionArn' | 'status' | 'error' | 'cause'>,
) =>
  `${out.executionArn}: ${out.status}${out.error ? ` — ${out.error}: ${out.cause ?? ''}` : ''}`.replace(
    /\s*\n\s*/g,
    ' ',
  );

/** 2 s, 4 s, 8 s, then every 10 s: a run of seconds is seen soon, a long one costs few calls. */
export const backoffMs = (look: number) => Math.min(10_000, 2_000 * 2 ** look);

/**
 * DescribeExecution until the execution is no longer RUNNING; answers the last description.
 * `delayMs(n)` is the pause after the n-th look (0-based). An aborted `signal` (Ctrl-C) ends the
 * wait with its AbortError; the execution runs on (Standard executions live on their own).
 */
export async function pollExecution(
  sfn: SFNClient,
  executionArn: string,
  opts: {
    delayMs?: (look: number) => number;
    sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
    onPoll?: (status: string) => void;
    signal?: AbortSignal;
  } = {},
): Promise<DescribeExecutionCommandOutput> {
  const sleep = opts.sleep ?? ((ms: number, signal?: AbortSignal) => delay(ms, undefined, { signal }));
  for (let look = 0; ; look++) {
    opts.signal?.throwIfAborted();
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }), {
      abortSignal: opts.signal,
    });
    opts.onPoll?.(out.status ?? 'UNKNOWN');
    if (out.status !== 'RUNNING') return out;
    await sleep((opts.delayMs ?? backoffMs)(look), opts.signal);
  }
}
