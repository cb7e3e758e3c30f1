/**
 * The executions port (lib/api/executions.ts, contract A) over the local runtime: what Step
 * Functions is to the deployed API. Each workflow has a runner (local/up/runners.ts) that runs
 * its state machine on aws-local-stepfunctions against the emulator.
 *
 * Like StartExecution, the execution name is the idempotency key: names are unique per state
 * machine, and a name seen before answers `{ started: false }` with the existing execution, never
 * a second run (Step Functions keeps names unique per state machine for 90 days; StartExecution
 * is idempotent for the same name and input while the execution is open, and answers
 * ExecutionAlreadyExists otherwise: Step Functions API reference, StartExecution). Executions are
 * kept in memory for the life of `autopilot local up` and listed in start order.
 */
import {
  type Executions,
  errorOf,
  parseRunId,
  type RunState,
  type RunStatus,
  runId,
  type Workflow,
} from '../../lib/api/executions';
import type { ProgressEvent } from '../runner';

export interface RunOutcome {
  status: Exclude<RunState, 'RUNNING'>;
  error?: string;
  cause?: string;
  /** A pipeline run's image (ARN, else name). */
  image?: string;
  /** What the workflow reports (summary, report): shown by `local up` and kept for `list()`. */
  detail?: unknown;
}

/** Runs one execution of a workflow to its end; throws only for a run that could not start. */
export type WorkflowRunner = (run: {
  name: string;
  input: unknown;
  onProgress: (e: ProgressEvent) => void;
  signal: AbortSignal;
}) => Promise<RunOutcome>;

export interface LocalExecution extends RunStatus {
  name: string;
  input: unknown;
  detail?: unknown;
}

/** What `local up` streams: an execution started, progressed or ended. */
export type ExecutionUpdate =
  | { type: 'started'; execution: LocalExecution }
  | { type: 'progress'; execution: LocalExecution; event: ProgressEvent }
  | { type: 'ended'; execution: LocalExecution };

export class LocalExecutions implements Executions {
  private readonly runs = new Map<string, LocalExecution>();
  private readonly pending = new Map<string, { done: Promise<void>; abort: AbortController }>();

  constructor(
    private readonly opts: {
      runners: Partial<Record<Workflow, WorkflowRunner>>;
      /** The clock executions are stamped with (the emulator's virtual clock). */
      now: () => number;
      onUpdate?: (u: ExecutionUpdate) => void;
    },
  ) {}

  async start(workflow: Workflow, name: string, input: unknown) {
    const executionId = runId(workflow, name);
    if (this.runs.has(executionId)) return { executionId, started: false };
    const runner = this.opts.runners[workflow];
    if (!runner)
      throw Object.assign(new Error(`no state machine is configured for the ${workflow} workflow`), {
        name: 'WorkflowNotConfigured',
      });
    const execution: LocalExecution = {
      executionId,
      workflow,
      name,
      input,
      status: 'RUNNING',
      startedAt: new Date(this.opts.now()).toISOString(),
    };
    this.runs.set(executionId, execution);
    this.opts.onUpdate?.({ type: 'started', execution });
    const abort = new AbortController();
    const done = (async () => {
      // The caller gets its answer before the run's first state: StartExecution returns at once.
      await new Promise((r) => setImmediate(r));
      let outcome: RunOutcome;
      try {
        outcome = await runner({
          name,
          input,
          signal: abort.signal,
          onProgress: (event) => {
            if (event.type === 'entered' && event.state) execution.currentStep = event.state;
            this.opts.onUpdate?.({ type: 'progress', execution, event });
          },
        });
      } catch (err) {
        const e = err as Error;
        outcome = { status: 'FAILED', error: e?.name ?? 'Error', cause: e?.message ?? String(err) };
      }
      execution.status = outcome.status;
      execution.stoppedAt = new Date(this.opts.now()).toISOString();
      if (outcome.image) execution.image = outcome.image;
      const error = outcome.status === 'SUCCEEDED' ? undefined : errorOf(outcome.error, outcome.cause);
      if (error) execution.error = error;
      if (outcome.detail !== undefined) execution.detail = outcome.detail;
      this.pending.delete(executionId);
      this.opts.onUpdate?.({ type: 'ended', execution });
    })();
    this.pending.set(executionId, { done, abort });
    return { executionId, started: true };
  }

  async describe(executionId: string): Promise<RunStatus | undefined> {
    if (!parseRunId(executionId)) return undefined;
    const run = this.runs.get(executionId);
    if (!run) return undefined;
    const { name: _name, input: _input, detail: _detail, ...status } = run;
    return { ...status };
  }

  /** Every execution, in start order. */
  list(): LocalExecution[] {
    return [...this.runs.values()];
  }

  /** Resolves when the execution has ended (at once for an unknown or ended one). */
  async settled(executionId: string): Promise<void> {
    await this.pending.get(executionId)?.done;
  }

  /** Stops every running execution (like StopExecution: ABORTED) and waits for them, at most `ms`. */
  async stopAll(ms: number): Promise<void> {
    const open = [...this.pending.values()];
    for (const p of open) p.abort.abort();
    await Promise.race([
      Promise.allSettled(open.map((p) => p.done)),
      new Promise((r) => setTimeout(r, ms).unref()),
    ]);
  }
}
