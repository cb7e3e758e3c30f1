import { randomBytes } from 'node:crypto';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type SFNClient,
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
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (;;) {
    const s = await pipelineExecutionStatus(sfn, executionArn);
    opts.onPoll?.(s.status);
    if (s.status !== 'RUNNING') return s;
    await sleep(opts.intervalMs ?? 30_000);
  }
}
