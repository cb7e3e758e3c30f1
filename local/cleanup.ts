/**
 * Runs the idle builder cleanup once, locally, at the emulator's virtual "now": first the events
 * the deployed recorder rules would deliver, logged since the last run, are delivered to the
 * recorder (catchUpConnections: connections, creations and starts, the emulated builder agent's
 * presence heartbeats in EMULATOR_AGENT_BUCKET; the local stand-in for EventBridge; also in a dry
 * run: on AWS the recorder is EventBridge's bookkeeping and runs whatever the policy says, so a
 * dry-run preview sees recent connections and heartbeats), then the builder-cleanup state machine runs on the local
 * runtime (Plan → Map(Sweep) → Summarize) with our functions in-process and real SDK calls over
 * HTTP to the emulator; other accounts are reached through the emulator's STS AssumeRole.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type RunningEmulator, startEmulator } from '../emulator';
import { cleanupFunctions } from '../functions';
import type { ExecutionStatus } from '../lib/cleanup/decide';
import type { PipelineRun } from '../lib/cleanup/deps';
import type { CleanupPlan } from '../lib/cleanup/plan';
import { validateCleanupPolicy } from '../lib/cleanup/policy';
import { type CleanupRunOutput, type CleanupSummary, skippedSummary } from '../lib/cleanup/summary';
import type { CleanupDecisionRow } from '../lib/cleanup/sweep';
import type { Notifier } from '../lib/notify/notifier';
import { MemoryNotifier } from '../lib/notify/sns';
import type { AslDefinition } from './asl';
import { cleanupLocalDeps } from './cleanup-deps';
import {
  type CursorStore,
  catchUpConnections,
  fileCursorStore,
  memoryCursorStore,
  scopesOf,
} from './cleanup-events';
import { LOCAL_ACCOUNT } from './local-deps';
import { type LocalHandler, type LocalRunResult, type ProgressEvent, runLocally } from './runner';

export type { CleanupDecisionRow } from '../lib/cleanup/sweep';

const CLEANUP_ASL = fileURLToPath(new URL('../statemachines/builder-cleanup.asl.json', import.meta.url));

export const loadCleanupDefinition = (): AslDefinition =>
  JSON.parse(readFileSync(CLEANUP_ASL, 'utf8')) as AslDefinition;

/** One local run's summary: the Summarize step's, plus the connection events caught up first. */
export interface CleanupRunSummary extends Omit<CleanupSummary, 'withoutConnectionSignal' | 'calls'> {
  withoutConnectionSignal?: string[];
  calls?: CleanupSummary['calls'];
  connectionEvents: { recorded: number; truncated: boolean; notes: string[] };
  /** Set when an earlier run was still going: this one did nothing. */
  skipped?: string;
}

export interface LocalCleanupOptions {
  /** The policy, parsed (YAML/JSON object). */
  policy: unknown;
  /** An in-process emulator; default: one is started and stopped after. */
  emulator?: RunningEmulator;
  /** A running emulator's URL instead (`autopilot emulator`); "now" is its virtual clock. */
  endpointUrl?: string;
  dryRun?: boolean;
  onProgress?: (e: ProgressEvent) => void;
  /** Where the event-log cursors are kept between runs (default: in memory, per emulator). */
  cursorFile?: string;
  /** Where notifications go (default: kept in memory, returned as `notifications`). */
  notifier?: Notifier;
  /** SDK attempts per call (default 3). */
  maxAttempts?: number;
  /** Account-regions per Map iteration (default 25). */
  batchSize?: number;
  executionName?: string;
  /**
   * Every row through the state machine (default true: the CLI's decision table). False runs the
   * deployed path, rows trimmed to each batch's byte budget (large estates: the bench), since the
   * local runtime enforces Step Functions' 256 KiB per state like AWS.
   */
  detail?: boolean;
  /**
   * The image pipeline's executions on the local runtime (name, status, start), as ListExecutions
   * lists them on AWS: a builder's TAG.execution (its run's short id) is matched against them once
   * per sweep batch. Default: none (pipeline builders are left alone: UNKNOWN).
   */
  pipelineRuns?: () => Promise<PipelineRun[]>;
  /** The status of an image-pipeline run owning a builder (TAG.execution); default: UNKNOWN. */
  executionStatus?: (execution: string) => Promise<ExecutionStatus>;
}

/** Cursor stores of in-process emulators (a separately started one: one per endpoint). */
const cursorStores = new WeakMap<RunningEmulator, CursorStore>();
const endpointStores = new Map<string, CursorStore>();
/** RUNNING cleanup executions per emulator: what ListExecutions answers on AWS (the overlap guard). */
const registries = new Map<string, Map<string, { name: string; arn: string; startDate: number }>>();

export async function runCleanupLocally(opts: LocalCleanupOptions): Promise<{
  result: LocalRunResult;
  decisions: CleanupDecisionRow[];
  summary: CleanupRunSummary;
  notifications: MemoryNotifier['sent'];
}> {
  const policy = validateCleanupPolicy(opts.policy);
  const own = !opts.emulator && !opts.endpointUrl;
  const emu = opts.emulator ?? (own ? await startEmulator({ seed: 1 }) : undefined);
  const endpoint = emu?.endpoint ?? opts.endpointUrl!;
  const remoteNow = emu ? undefined : await remoteClock(endpoint);
  const now = () => emu?.world.now() ?? remoteNow!;
  const memory = new MemoryNotifier();
  const registry = registries.get(endpoint) ?? new Map();
  registries.set(endpoint, registry);
  const roles = Object.fromEntries((policy.scope.accounts ?? []).map((a) => [a.id, a.roleArn]));
  /** Scopes (`account/region`) whose connection catch-up lost events or stopped early this run. */
  const unrecorded = new Set<string>();
  const deps = cleanupLocalDeps(endpoint, {
    connectionSignal: (account, region) => !unrecorded.has(`${account}/${region}`),
    now,
    emulator: emu,
    roles,
    maxAttempts: opts.maxAttempts,
    notifier: opts.notifier ?? memory,
    executions: { running: async () => [...registry.values()] },
    ...(opts.pipelineRuns ? { pipelineRuns: opts.pipelineRuns } : {}),
    ...(opts.executionStatus ? { executionStatus: opts.executionStatus } : {}),
  });
  const executionName =
    opts.executionName ?? `cleanup-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const region = deps.region;
  const arn = `arn:aws:states:${region}:${LOCAL_ACCOUNT}:execution:builder-cleanup:${executionName}`;
  try {
    const cursors = opts.cursorFile
      ? fileCursorStore(opts.cursorFile)
      : emu
        ? (cursorStores.get(emu) ?? cursorStores.set(emu, memoryCursorStore()).get(emu)!)
        : (endpointStores.get(endpoint) ?? endpointStores.set(endpoint, memoryCursorStore()).get(endpoint)!);
    const accounts = (policy.scope.accounts ?? [{ id: LOCAL_ACCOUNT }]).map((a) => a.id);
    // Caught up in a dry run too: the recorder's tags (autopilot:last-connection, autopilot:creator)
    // are bookkeeping, written on AWS by EventBridge whatever the policy says; a dry run still
    // writes no mark (autopilot:cleanup) and stops, deletes and warns nothing.
    const caught = await catchUpConnections(emu ?? endpoint, cursors, deps, {
      scopes: scopesOf(accounts, policy.scope.regions),
    });
    // Where connections may be missing, no builder is stopped for want of them (warn-only there).
    if ('scopes' in caught)
      for (const s of caught.scopes) if (s.lost || s.retryLater) unrecorded.add(s.scope);
    registry.set(executionName, { name: executionName, arn, startDate: now() });
    const handlers = Object.fromEntries(
      Object.entries(cleanupFunctions).map(([name, f]) => [name, f.withDeps(deps) as LocalHandler]),
    );
    // The local runtime gives $$.Execution.StartTime in real time; the run's clock is the
    // emulator's (virtual): Plan's deadline counts from the virtual start.
    const startedAt = new Date(now()).toISOString();
    const plan = handlers.cleanupPlan;
    handlers.cleanupPlan = ((event: Record<string, unknown>, ...rest: unknown[]) =>
      (plan as (...a: unknown[]) => unknown)({ ...event, startedAt }, ...rest)) as LocalHandler;
    const result = await runLocally({
      definition: loadCleanupDefinition(),
      input: {
        policy: opts.policy,
        dryRun: opts.dryRun ?? false,
        detail: opts.detail ?? true,
        ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
      },
      executionName,
      stateMachineName: 'builder-cleanup',
      handlers,
      time: { now, advance: (ms) => void emu?.control.advance(ms) },
      onProgress: opts.onProgress,
      region,
      account: LOCAL_ACCOUNT,
    });
    if (result.status !== 'SUCCEEDED')
      throw Object.assign(
        new Error(`builder cleanup run ${result.status}: ${result.error}: ${result.cause}`),
        {
          name: result.error ?? 'CleanupRunFailed',
        },
      );
    const connectionEvents = { recorded: caught.recorded, truncated: caught.truncated, notes: caught.notes };
    const output = result.output as CleanupRunOutput | CleanupPlan;
    if ('skip' in output && output.skip)
      return {
        result,
        decisions: [],
        summary: { ...skippedSummary(output), connectionEvents },
        notifications: memory.sent,
      };
    const { summary, decisions } = output as CleanupRunOutput;
    return { result, decisions, summary: { ...summary, connectionEvents }, notifications: memory.sent };
  } finally {
    registry.delete(executionName);
    for (const c of deps.clients) c.destroy();
    if (own) await emu?.stop();
  }
}

/** A running emulator's virtual now (GET /_emulator/clock). */
async function remoteClock(endpoint: string): Promise<number> {
  const res = await fetch(`${endpoint.replace(/\/$/, '')}/_emulator/clock`);
  if (!res.ok) throw new Error(`${endpoint}: GET /_emulator/clock answered ${res.status}`);
  return ((await res.json()) as { now: number }).now;
}
