import type { RunningEmulator } from '../emulator';
import type { CleanupDeps, CleanupExecutions } from '../lib/cleanup/deps';
import type { Notifier } from '../lib/notify/notifier';
import { localAccountClients } from './local-clients';
import { LOCAL_ACCOUNT } from './local-deps';

/**
 * Idle builder cleanup's dependencies against an emulator (in-process, or at `endpoint`): real SDK
 * clients over HTTP (AppStream and the tagging API on its one port), other accounts through the
 * emulator's STS AssumeRole (credentials kept by the virtual clock `now`), the connection signal
 * everywhere (catchUpConnections feeds the recorder from the emulator's event log before each run:
 * connections, creations and starts, presence heartbeats; creators are the recorder's TAG.creator,
 * as on AWS).
 */
export function cleanupLocalDeps(
  endpoint: string,
  opts: {
    now: () => number;
    /** The in-process emulator, when there is one (kept for callers; everything goes over HTTP). */
    emulator?: RunningEmulator;
    account?: string;
    region?: string;
    /** Roles per account for callers that name none (the recorder): the policy's scope.accounts. */
    roles?: Record<string, string>;
    maxAttempts?: number;
    notifier?: Notifier;
    executions?: CleanupExecutions;
    /**
     * Whether connection events of account/region reached the recorder this run (default: yes,
     * everywhere). False for a scope whose catch-up lost events or stopped early: warn-only there.
     */
    connectionSignal?: (account: string, region: string) => boolean;
    /**
     * The image pipeline's executions on the local runtime (what ListExecutions answers on AWS),
     * matched with builders' TAG.execution by short id; default: none (UNKNOWN: left alone).
     */
    pipelineRuns?: CleanupDeps['pipelineRuns'];
    /** The status of an image-pipeline run (TAG.execution); default: none (UNKNOWN: left alone). */
    executionStatus?: CleanupDeps['executionStatus'];
  },
): CleanupDeps & { clients: { destroy(): void }[] } {
  const account = opts.account ?? LOCAL_ACCOUNT;
  const region = opts.region ?? 'us-east-1';
  const { clients, appstream, tagging } = localAccountClients(endpoint, {
    account,
    region,
    roles: opts.roles,
    now: opts.now,
    maxAttempts: opts.maxAttempts,
  });
  return {
    deployment: 'local',
    region,
    account,
    appstream,
    tagging,
    clock: { now: opts.now },
    connectionSignal: opts.connectionSignal ?? (() => true),
    ...(opts.executions ? { executions: opts.executions } : {}),
    ...(opts.pipelineRuns ? { pipelineRuns: opts.pipelineRuns } : {}),
    ...(opts.executionStatus ? { executionStatus: opts.executionStatus } : {}),
    ...(opts.notifier ? { notifier: opts.notifier } : {}),
    clients,
  };
}
