import './polyfill';
import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import { type AslDefinition, allStates, mapStates, prepareForLocal, waitSeconds } from './asl';

export type LocalHandler = (event: unknown) => Promise<unknown>;

/** A virtual clock the runtime advances instead of sleeping. */
export interface VirtualTime {
  now(): number;
  advance(ms: number): void;
}

export interface ProgressEvent {
  type: 'entered' | 'exited' | 'retried' | 'caught' | 'failed' | 'succeeded';
  state?: string;
  stateType?: string;
  virtualTime: number;
  error?: string;
  cause?: string;
  output?: unknown;
}

/** How an execution ended (DescribeExecution's status). */
export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/**
 * The EventBridge event Step Functions sends when an execution's status changes ("Step Functions
 * Execution Status Change", source aws.states; the detail carries what DescribeExecution returns:
 * https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html). startDate/stopDate are
 * epoch ms; input/output are JSON strings (left out past 248 KB: inputDetails.included false).
 */
export interface ExecutionStatusChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'Step Functions Execution Status Change';
  source: 'aws.states';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: ExecutionStatus;
    startDate: number;
    stopDate: number;
    input: string | null;
    output: string | null;
    inputDetails: { included: boolean };
    outputDetails: { included: boolean } | null;
    error?: string | null;
    cause?: string | null;
  };
}

export interface LocalRunResult {
  status: ExecutionStatus;
  output?: unknown;
  error?: string;
  cause?: string;
  /** States entered plus retries: what Step Functions Standard bills. */
  transitions: number;
  /** Task states that invoked a function (retries included). */
  lambdaInvocations: number;
  virtualStart: number;
  virtualEnd: number;
  wallMs: number;
  /** Virtual seconds spent inside Task states (long polls): the Lambda duration estimate. */
  taskVirtualSeconds: number;
}

export interface LocalRunOptions {
  definition: AslDefinition;
  input: unknown;
  executionName: string;
  /** Functions by the name in `${self:custom.lambda.<name>}`. */
  handlers: Record<string, LocalHandler>;
  time: VirtualTime;
  onProgress?: (e: ProgressEvent) => void;
  /** Stops the execution like StopExecution ("Stop execution" in the console): it ends ABORTED. */
  signal?: AbortSignal;
  /** Overrides the definition's TimeoutSeconds (tests: a tiny execution timeout). */
  executionTimeoutSeconds?: number;
  /** Told when the execution ends, with the event Step Functions sends to EventBridge. */
  onStatusChange?: (event: ExecutionStatusChangeEvent) => void | Promise<void>;
  /** The state machine's name in the execution's ARN (default image-pipeline). */
  stateMachineName?: string;
  /** Region and account of the execution's ARN (default: local / 000000000000). */
  region?: string;
  account?: string;
}

/** Definitions aws-local-stepfunctions has validated already (by their JSON). */
const validated = new Set<string>();

/** A Task's or the execution's TimeoutSeconds elapsed (catchable in a Task, final for the execution). */
const statesTimeout = (message: string) => Object.assign(new Error(message), { name: 'States.Timeout' });

/** Step Functions' quota on a state's input or output (and the execution's): 256 KiB of UTF-8 JSON. */
export const MAX_PAYLOAD_BYTES = 262_144;
/** Bytes of a value as the JSON Step Functions passes between states. */
export const payloadBytes = (value: unknown): number =>
  value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value), 'utf8');
/**
 * AWS's wording for a state whose result is past the quota. States.DataLimitExceeded is terminal:
 * no Retry or Catch (not even States.ALL) sees it, the execution fails.
 */
const dataLimitCause = (name: string, what: 'input' | 'output', bytes: number) =>
  `The state/task '${name}' returned a result with a size exceeding the maximum number of bytes service limit. (${what}: ${bytes} bytes > ${MAX_PAYLOAD_BYTES})`;

/**
 * Runs one of our ASL state machines with aws-local-stepfunctions: our handlers in-process,
 * Wait states as jumps of the virtual clock, retry pauses skipped. Streams progress events.
 */
export async function runLocally(opts: LocalRunOptions): Promise<LocalRunResult> {
  const { definition, waits, functions } = prepareForLocal(opts.definition);
  // TimeoutSeconds are enforced here on the virtual clock; aws-local-stepfunctions would enforce
  // them in real time (and keep a timer alive), so it gets the definition without them.
  const executionTimeoutSeconds =
    opts.executionTimeoutSeconds ?? (opts.definition.TimeoutSeconds as number | undefined);
  // Task states inside Map (ItemProcessor) and Parallel states too: aws-local-stepfunctions runs
  // them with the same overrides, keyed by state name. Concurrent Map items share the one virtual
  // clock: virtual time one item spends (a wait, a retry pause) also passes for the items in flight
  // with it, so a Task's TimeoutSeconds can fire early there (the schedule's items don't wait).
  const taskTimeouts: Record<string, number | undefined> = {};
  const { TimeoutSeconds: _executionTimeout, ...untimed } = definition;
  const libDefinition = mapStates(untimed as AslDefinition, (name, st) => {
    const { TimeoutSeconds, ...rest } = st;
    taskTimeouts[name] = TimeoutSeconds as number | undefined;
    return rest;
  });
  const virtualStart = opts.time.now();
  const executionDeadline =
    executionTimeoutSeconds === undefined
      ? Number.POSITIVE_INFINITY
      : virtualStart + executionTimeoutSeconds * 1000;
  /** Set when the execution ends other than by its own states: TIMED_OUT, ABORTED or a payload past the quota. */
  let endedAs: 'TIMED_OUT' | 'ABORTED' | 'DATA_LIMIT' | undefined;
  let dataLimit: string | undefined;
  /** A state's input or output past 256 KiB ends the execution (States.DataLimitExceeded, terminal). */
  const checkPayload = (name: string, what: 'input' | 'output', value: unknown) => {
    const bytes = payloadBytes(value);
    if (bytes <= MAX_PAYLOAD_BYTES || endedAs) return;
    endedAs = 'DATA_LIMIT';
    dataLimit = dataLimitCause(name, what, bytes);
    stop();
  };
  let stop: () => void = () => undefined;
  /** Ends the execution when it was aborted or ran past its TimeoutSeconds (virtual clock). */
  const checkExecution = () => {
    if (!endedAs && opts.signal?.aborted) endedAs = 'ABORTED';
    if (!endedAs && opts.time.now() >= executionDeadline) endedAs = 'TIMED_OUT';
    if (endedAs) {
      stop();
      if (endedAs === 'DATA_LIMIT')
        throw Object.assign(new Error(dataLimit), { name: 'States.DataLimitExceeded' });
      throw Object.assign(new Error(`execution ${endedAs}`), { name: `Execution.${endedAs}` });
    }
  };
  const overrides: Record<string, (input: unknown) => Promise<unknown>> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  let taskVirtualMs = 0;
  const failedLast = new Map<string, string>();
  // Virtual time at which each Task/Wait state started, in order: the event log is consumed
  // asynchronously, so progress events take their time from here, not from "now".
  const startedAt = new Map<string, number[]>();
  const endedAt = new Map<string, number[]>();
  const startWaiters = new Map<string, () => void>();
  const record = (times: Map<string, number[]>, name: string) => {
    const q = times.get(name) ?? [];
    q.push(opts.time.now());
    times.set(name, q);
  };
  const markStart = (name: string) => {
    record(startedAt, name);
    startWaiters.get(name)?.();
  };
  const markEnd = (name: string) => record(endedAt, name);
  for (const [name, state] of allStates(definition)) {
    if (state.Type !== 'Task') continue;
    retryIntervalOverrides[name] = 0;
    const wait = waits[name];
    if (wait) {
      overrides[name] = async (input) => {
        checkExecution();
        markStart(name);
        const ms = waitSeconds(wait, input, opts.time.now()) * 1000;
        // A Wait past the execution's TimeoutSeconds ends the execution at its deadline.
        opts.time.advance(Math.min(ms, Math.max(0, executionDeadline - opts.time.now())));
        markEnd(name);
        checkExecution();
        return input;
      };
      continue;
    }
    const handler = opts.handlers[functions[name]];
    if (!handler) throw new Error(`State ${name}: no local handler for function ${functions[name]}`);
    const retries = new Map<string, ReturnType<typeof retryClock>>();
    const timeoutMs = (taskTimeouts[name] ?? Number.POSITIVE_INFINITY) * 1000;
    overrides[name] = async (input) => {
      // A call right after this state threw with the same input is a retry: let the virtual clock
      // pass the retry pause. Keyed by input too: a Map runs the same Task state for many items
      // at once, each with its own retries.
      const key = `${name}\u0000${JSON.stringify(input)}`;
      const retry = retries.get(key) ?? retryClock(state.Retry as Retrier[] | undefined);
      retries.set(key, retry);
      if (failedLast.has(key)) opts.time.advance(retry.pauseAfter(failedLast.get(key)!));
      else retry.reset();
      checkPayload(name, 'input', input);
      checkExecution();
      markStart(name);
      const t = opts.time.now();
      try {
        let out: unknown;
        let error: unknown;
        try {
          out = await handler(input);
        } catch (err) {
          error = err;
        }
        checkExecution();
        // The Task's TimeoutSeconds on the virtual clock: States.Timeout, which Retry/Catch see.
        if (opts.time.now() - t > timeoutMs)
          error = statesTimeout(
            `State ${name} ran ${(opts.time.now() - t) / 1000} s, past its TimeoutSeconds ${timeoutMs / 1000}`,
          );
        if (error) throw error;
        checkPayload(name, 'output', out);
        checkExecution();
        failedLast.delete(key);
        retries.delete(key);
        return out;
      } catch (err) {
        failedLast.set(key, (err as Error)?.name ?? 'Error');
        throw err;
      } finally {
        taskVirtualMs += opts.time.now() - t;
        markEnd(name);
      }
    };
  }

  // Validating a definition (asl-validator) takes ~100 ms: once per distinct definition, so a
  // schedule run every 5 virtual minutes over a simulated week stays fast.
  const key = JSON.stringify(libDefinition);
  const machine = new StateMachine(libDefinition as never, {
    validationOptions: validated.has(key) ? { noValidate: true } : { checkArn: false, checkPaths: false },
  });
  validated.add(key);
  const wallStart = Date.now();
  const region = opts.region ?? 'local';
  const account = opts.account ?? '000000000000';
  const machineName = opts.stateMachineName ?? 'image-pipeline';
  const stateMachineArn = `arn:aws:states:${region}:${account}:stateMachine:${machineName}`;
  const executionArn = `arn:aws:states:${region}:${account}:execution:${machineName}:${opts.executionName}`;
  const execution = machine.run(opts.input as never, {
    overrides: { taskResourceLocalHandlers: overrides as never, retryIntervalOverrides },
    context: {
      Execution: {
        Id: executionArn,
        Name: opts.executionName,
        Input: opts.input,
        StartTime: new Date(virtualStart).toISOString(),
      },
    } as never,
  });

  stop = () => execution.abort();
  const onAbort = () => {
    endedAs ??= 'ABORTED';
    execution.abort();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();
  let transitions = 0;
  let lambdaInvocations = 0;
  let settled = false;
  const finished = execution.result.then(
    () => undefined,
    () => undefined,
  );
  void finished.then(() => {
    settled = true;
    for (const w of startWaiters.values()) w();
  });
  const isFunction = (name?: string) => Boolean(name && overrides[name] && !waits[name]);
  let cursor = virtualStart;
  /** Virtual time a state was entered: when its handler started (waiting for that if needed). */
  const enteredAt = async (name: string): Promise<number> => {
    if (!overrides[name]) return cursor;
    if (!startedAt.get(name)?.length && !settled)
      await new Promise<void>((resolve) => {
        startWaiters.set(name, resolve);
        setTimeout(resolve, 50);
      });
    startWaiters.delete(name);
    return startedAt.get(name)?.shift() ?? cursor;
  };
  const emit = (e: Omit<ProgressEvent, 'virtualTime'>) => opts.onProgress?.({ ...e, virtualTime: cursor });
  const consume = (async () => {
    for await (const e of execution.eventLogs) {
      const state = 'state' in e ? (e.state as { name: string; type: string; output?: unknown }) : undefined;
      const stateType = state && waits[state.name] ? 'Wait' : state?.type;
      switch (e.type) {
        case 'StateEntered':
          transitions++;
          if (isFunction(state?.name)) lambdaInvocations++;
          cursor = await enteredAt(state!.name);
          emit({ type: 'entered', state: state?.name, stateType });
          break;
        case 'StateExited':
          // The handler has returned by now: its end time is recorded.
          cursor = endedAt.get(state!.name)?.shift() ?? cursor;
          // Every state's output (Pass, Map, Parallel too: a Map's is its input plus its results).
          checkPayload(state!.name, 'output', state?.output);
          emit({ type: 'exited', state: state?.name, stateType, output: state?.output });
          break;
        case 'StateRetried':
          transitions++;
          if (isFunction(state?.name)) lambdaInvocations++;
          cursor = await enteredAt(state!.name);
          emit({ type: 'retried', state: state?.name, stateType });
          break;
        case 'StateCaught':
          emit({ type: 'caught', state: state?.name, stateType });
          break;
        case 'StateFailed':
          cursor = endedAt.get(state!.name)?.shift() ?? cursor;
          emit({
            type: 'failed',
            state: state?.name,
            stateType,
            error: e.Error,
            cause: String(e.Cause ?? ''),
          });
          break;
        default:
          break;
      }
    }
  })();

  let status: LocalRunResult['status'] = 'SUCCEEDED';
  let output: unknown;
  let error: string | undefined;
  let cause: string | undefined;
  try {
    output = await execution.result;
  } catch (err) {
    status = 'FAILED';
    const e = err as { name?: string; message?: string; cause?: { name?: string; message?: string } };
    // ExecutionError wraps the runtime error: its name/message are the ASL Error/Cause.
    error = e.cause?.name ?? e.name;
    cause = e.cause?.message ?? e.message;
  }
  opts.signal?.removeEventListener('abort', onAbort);
  // The event log is read to its end first: a state's output past the quota is found there.
  await consume.catch(() => undefined);
  if (endedAs === 'TIMED_OUT') {
    status = 'TIMED_OUT';
    output = undefined;
    error = 'States.Timeout';
    cause = `The execution ran past its TimeoutSeconds (${executionTimeoutSeconds} s)`;
  } else if (endedAs === 'DATA_LIMIT') {
    status = 'FAILED';
    output = undefined;
    error = 'States.DataLimitExceeded';
    cause = dataLimit;
  } else if (endedAs === 'ABORTED') {
    status = 'ABORTED';
    output = undefined;
    error = undefined;
    cause = undefined;
  }
  if (opts.onStatusChange) {
    const inputJson = JSON.stringify(opts.input);
    await opts.onStatusChange({
      version: '0',
      id: randomUUID(),
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account,
      time: new Date(opts.time.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region,
      resources: [executionArn],
      detail: {
        executionArn,
        stateMachineArn,
        name: opts.executionName,
        status,
        startDate: virtualStart,
        stopDate: opts.time.now(),
        input: inputJson,
        output: output === undefined ? null : JSON.stringify(output),
        inputDetails: { included: true },
        outputDetails: output === undefined ? null : { included: true },
        error: error ?? null,
        cause: cause ?? null,
      },
    });
  }
  return {
    status,
    output,
    error,
    cause,
    transitions,
    lambdaInvocations,
    virtualStart,
    virtualEnd: opts.time.now(),
    wallMs: Date.now() - wallStart,
    taskVirtualSeconds: taskVirtualMs / 1000,
  };
}

interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
}

/**
 * The pause Step Functions takes before a retry (IntervalSeconds × BackoffRate^attempt, capped
 * by MaxDelaySeconds; full jitter taken at its upper bound), so local retries spend virtual time
 * the way AWS spends real time.
 */
function retryClock(retriers: Retrier[] = []) {
  let attempts = retriers.map(() => 0);
  return {
    reset() {
      attempts = retriers.map(() => 0);
    },
    pauseAfter(errorName: string): number {
      const i = retriers.findIndex(
        (r) =>
          r.ErrorEquals.includes(errorName) ||
          r.ErrorEquals.includes('States.ALL') ||
          r.ErrorEquals.includes('States.TaskFailed'),
      );
      if (i < 0) return 0;
      const r = retriers[i];
      const seconds = (r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** attempts[i]++;
      return Math.min(seconds, r.MaxDelaySeconds ?? Number.POSITIVE_INFINITY) * 1000;
    },
  };
}
