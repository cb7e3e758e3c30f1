/**
 * The executions port of the API (contract A of issue 10): start a workflow under an idempotency
 * key and read a run's status. Deployed: Step Functions (SfnRunExecutions below); locally: the
 * local runtime (local/up).
 *
 * Run ids (GET /runs/{id}) are `<workflow>:<execution name>`, e.g. `pipeline:office-apps-ci-42`:
 * short, readable, the same shape locally and on AWS, and unambiguous because an execution name
 * never contains `:` (EXECUTION_NAME). The AWS implementation also accepts an execution ARN of one
 * of its own state machines (URL-encoded in the path).
 */
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { aws } from '../aws/call';
import { NamedError } from '../errors';

export type Workflow = 'pipeline' | 'schedule' | 'cleanup';
export const WORKFLOWS: readonly Workflow[] = ['pipeline', 'schedule', 'cleanup'];

export type RunState = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface RunStatus {
  executionId: string;
  workflow: string;
  status: RunState;
  /** ISO-8601. */
  startedAt: string;
  stoppedAt?: string;
  /** The state most recently entered. */
  currentStep?: string;
  /** The image a pipeline run made (its ARN, else its name), once it has one. */
  image?: string;
  /** `<Error>: <message>` of a failed run, never a stack trace. */
  error?: string;
}

export interface Executions {
  /**
   * Starts `workflow` with execution name `name` (the idempotency key). The same name again gives
   * `{ started: false }` and the existing execution's id: never a second run.
   */
  start(workflow: Workflow, name: string, input: unknown): Promise<{ executionId: string; started: boolean }>;
  /** The run, or undefined when there is none (404). */
  describe(executionId: string): Promise<RunStatus | undefined>;
}

/** A workflow the deployment has no state machine for (a configuration error: 500). */
export class WorkflowNotConfigured extends NamedError {
  constructor(workflow: string) {
    super('WorkflowNotConfigured', `no state machine is configured for the ${workflow} workflow`);
  }
}

/** `<workflow>:<name>`. */
export const runId = (workflow: Workflow, name: string) => `${workflow}:${name}`;

/** `<workflow>:<name>` → its parts; undefined when it isn't one. */
export function parseRunId(id: string): { workflow: Workflow; name: string } | undefined {
  const i = id.indexOf(':');
  if (i < 0) return undefined;
  const workflow = id.slice(0, i) as Workflow;
  const name = id.slice(i + 1);
  if (!WORKFLOWS.includes(workflow) || !/^[A-Za-z0-9_-]{1,80}$/.test(name)) return undefined;
  return { workflow, name };
}

/**
 * `arn:<partition>:states:<region>:<account>:stateMachine:<machine>` + name → the execution's ARN
 * (`…:execution:<machine>:<name>`, Step Functions ARN format for Standard executions).
 */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

const STATUS: Record<string, RunState> = {
  RUNNING: 'RUNNING',
  // A redriven execution waiting to run again is still going.
  PENDING_REDRIVE: 'RUNNING',
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
  TIMED_OUT: 'TIMED_OUT',
  ABORTED: 'ABORTED',
};

const MAX_ERROR = 1000;

/**
 * `<Error>: <message>` of a failed execution. A Lambda error's cause is JSON with `errorType`,
 * `errorMessage` and `trace`/`stackTrace`: only the message is kept; any other cause loses its
 * stack-like lines (`    at …`). Never a stack trace to an API caller.
 */
export function errorOf(error: string | undefined, cause: string | undefined): string | undefined {
  if (!error && !cause) return undefined;
  let message = cause ?? '';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: unknown };
    if (parsed && typeof parsed === 'object')
      message = typeof parsed.errorMessage === 'string' ? parsed.errorMessage : '';
  } catch {
    message = message
      .split('\n')
      .filter((line) => !/^\s+at\s/.test(line))
      .join('\n')
      .trim();
  }
  const text = error ? (message ? `${error}: ${message}` : error) : message;
  return text.length > MAX_ERROR ? `${text.slice(0, MAX_ERROR - 1)}…` : text;
}

/** The image of a pipeline run's output: its ARN (CheckImage) or its planned name. */
export function imageOf(output: string | undefined): string | undefined {
  if (!output) return undefined;
  try {
    const o = JSON.parse(output) as { imageCheck?: { arn?: unknown }; plan?: { imageName?: unknown } };
    const arn = o?.imageCheck?.arn;
    if (typeof arn === 'string') return arn;
    const name = o?.plan?.imageName;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

const NOT_FOUND = ['ExecutionDoesNotExist', 'InvalidArn'];

/** Pages of history read, newest first, looking for the latest StateEntered event. */
const HISTORY_PAGES = 3;

/**
 * Step Functions (Standard workflows) behind the port. StartExecution's `name` is the idempotency
 * key: Step Functions keeps names unique per state machine for 90 days; a second StartExecution
 * with the same name answers success (same ARN) while the first is open with an identical input,
 * and ExecutionAlreadyExists otherwise (StartExecution, Step Functions API reference). So `start`
 * first describes the execution the name designates (the common retry: no StartExecution at all),
 * then starts it, and takes ExecutionAlreadyExists as "it exists". Two requests racing with the
 * same key may both answer `started: true`, but Step Functions runs one execution.
 *
 * The fleet schedule is EXPRESS (no DescribeExecution, no idempotent start): the API never starts
 * it, and `start('schedule', …)` without a state machine fails with WorkflowNotConfigured.
 *
 * Permissions: states:StartExecution on the state machines, states:DescribeExecution and
 * states:GetExecutionHistory on their executions (Service Authorization Reference, AWS Step
 * Functions: the execution resource type).
 */
export class SfnRunExecutions implements Executions {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachines: Partial<Record<Workflow, string>>,
  ) {}

  private machine(workflow: Workflow): string {
    const arn = this.stateMachines[workflow];
    if (!arn) throw new WorkflowNotConfigured(workflow);
    return arn;
  }

  async start(workflow: Workflow, name: string, input: unknown) {
    const stateMachineArn = this.machine(workflow);
    const executionId = runId(workflow, name);
    if (await this.read(executionArnOf(stateMachineArn, name))) return { executionId, started: false };
    try {
      await aws('StartExecution', () =>
        this.sfn.send(
          new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input ?? {}) }),
        ),
      );
      return { executionId, started: true };
    } catch (err) {
      if ((err as Error).name === 'ExecutionAlreadyExists') return { executionId, started: false };
      throw err;
    }
  }

  /** The execution ARN a run id (or an ARN of one of our state machines) designates. */
  private arnOf(executionId: string): { workflow: Workflow; arn: string } | undefined {
    const parsed = parseRunId(executionId);
    if (parsed) {
      const machine = this.stateMachines[parsed.workflow];
      return machine ? { workflow: parsed.workflow, arn: executionArnOf(machine, parsed.name) } : undefined;
    }
    for (const workflow of WORKFLOWS) {
      const machine = this.stateMachines[workflow];
      const prefix = machine && `${machine.replace(':stateMachine:', ':execution:')}:`;
      if (
        prefix &&
        executionId.startsWith(prefix) &&
        parseRunId(`${workflow}:${executionId.slice(prefix.length)}`)
      )
        return { workflow, arn: executionId };
    }
    return undefined;
  }

  private async read(executionArn: string): Promise<DescribeExecutionCommandOutput | undefined> {
    try {
      return await aws('DescribeExecution', () =>
        this.sfn.send(new DescribeExecutionCommand({ executionArn })),
      );
    } catch (err) {
      if (NOT_FOUND.includes((err as Error).name)) return undefined;
      throw err;
    }
  }

  async describe(executionId: string): Promise<RunStatus | undefined> {
    const target = this.arnOf(executionId);
    if (!target) return undefined;
    const out = await this.read(target.arn);
    if (!out) return undefined;
    const status = STATUS[out.status ?? ''] ?? 'RUNNING';
    const run: RunStatus = {
      executionId: runId(target.workflow, out.name ?? target.arn.split(':').at(-1) ?? ''),
      workflow: target.workflow,
      status,
      startedAt: (out.startDate ?? new Date(0)).toISOString(),
    };
    if (out.stopDate) run.stoppedAt = out.stopDate.toISOString();
    const step = await this.currentStep(target.arn);
    if (step) run.currentStep = step;
    const image = target.workflow === 'pipeline' ? imageOf(out.output) : undefined;
    if (image) run.image = image;
    const error = status === 'SUCCEEDED' || status === 'RUNNING' ? undefined : errorOf(out.error, out.cause);
    if (error) run.error = error;
    return run;
  }

  /** The latest StateEntered event's state name (GetExecutionHistory, newest first). */
  private async currentStep(executionArn: string): Promise<string | undefined> {
    let nextToken: string | undefined;
    for (let page = 0; page < HISTORY_PAGES; page++) {
      const out = await aws('GetExecutionHistory', () =>
        this.sfn.send(
          new GetExecutionHistoryCommand({
            executionArn,
            reverseOrder: true,
            maxResults: 100,
            includeExecutionData: false,
            nextToken,
          }),
        ),
      );
      for (const e of out?.events ?? [])
        if (e.type?.endsWith('StateEntered') && e.stateEnteredEventDetails?.name)
          return e.stateEnteredEventDetails.name;
      nextToken = out?.nextToken;
      if (!nextToken) return undefined;
    }
    return undefined;
  }
}
