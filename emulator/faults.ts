import { ServiceError } from './errors';
import type { Kind } from './lifecycle';
import type { Random } from './random';

/** Fault injection, set through the control API. Everything is off by default. */
export interface FaultConfig {
  /**
   * Fraction (0..1) of all API calls answered with the operation's throttling error
   * (ThrottlingException; the tagging API's ThrottledException: model.ts throttlingError).
   */
  throttleRate?: number;
  /** Only these operations are throttled (all when absent). */
  throttleOperations?: string[];
  /** Extra latency added to every API call, in real ms. */
  latencyMs?: number;
}

/** "Fail the next `count` calls (of `operation`, or any) with this error." */
export interface FailCallsSpec {
  count?: number;
  code: string;
  message?: string;
  /** HTTP status (default 500 for Internal*, else 400). */
  status?: number;
  operation?: string;
  /** Run the operation, then answer the error: a response lost after the change was made. */
  after?: boolean;
}

type FailNext = Required<Pick<FailCallsSpec, 'count' | 'code' | 'message' | 'status'>> &
  Pick<FailCallsSpec, 'operation' | 'after'>;

interface FailTransition {
  kind: Kind;
  name?: string;
  message: string;
}

export class Faults {
  config: FaultConfig = {};
  private failNextCalls: FailNext[] = [];
  private failTransitions: FailTransition[] = [];

  constructor(private readonly random: () => Random) {}

  reset(): void {
    this.config = {};
    this.failNextCalls = [];
    this.failTransitions = [];
  }

  /** The next `count` calls (of `operation`, or any) fail with the given error. */
  failCalls(f: FailCallsSpec): void {
    this.failNextCalls.push({
      after: f.after,
      count: f.count ?? 1,
      code: f.code,
      message: f.message ?? `Injected fault: ${f.code}`,
      status: f.status ?? (f.code.startsWith('Internal') ? 500 : 400),
      operation: f.operation,
    });
  }

  /** The next transition of a resource of `kind` (named `name`, or any) lands in its failed state. */
  failTransition(f: FailTransition): void {
    this.failTransitions.push(f);
  }

  /**
   * Throws the fault due for this call, if any. Called before the operation runs; injected
   * throttling answers `throttleCode`, the error the operation's service throttles with.
   */
  beforeCall(operation: string, throttleCode = 'ThrottlingException'): void {
    this.take(operation, false);
    const { throttleRate, throttleOperations } = this.config;
    if (
      throttleRate &&
      (!throttleOperations || throttleOperations.includes(operation)) &&
      this.random().next() < throttleRate
    )
      throw new ServiceError(throttleCode, 'Rate exceeded');
  }

  /** Throws a fault configured to hit after the operation ran (its effects stay). */
  afterCall(operation: string): void {
    this.take(operation, true);
  }

  private take(operation: string, after: boolean): void {
    const i = this.failNextCalls.findIndex(
      (f) => (!f.operation || f.operation === operation) && Boolean(f.after) === after,
    );
    if (i < 0) return;
    const f = this.failNextCalls[i];
    if (--f.count <= 0) this.failNextCalls.splice(i, 1);
    throw new ServiceError(f.code, f.message, f.status);
  }

  takeFailure(kind: Kind, name: string): string | undefined {
    const i = this.failTransitions.findIndex((f) => f.kind === kind && (!f.name || f.name === name));
    if (i < 0) return undefined;
    const [f] = this.failTransitions.splice(i, 1);
    return f.message;
  }

  snapshot(): unknown {
    return { ...this.config, failNextCalls: this.failNextCalls, failTransitions: this.failTransitions };
  }
}
