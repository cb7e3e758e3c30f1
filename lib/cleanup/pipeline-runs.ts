/**
 * Which pipeline run owns a builder: the image pipeline tags its builders with the run's short id
 * (TAG.execution = executionId(execution name), lib/pipeline/resolve.ts; the derived builder name
 * ends with it too), not with the execution's name, so a run is found by listing the pipeline's
 * executions and matching either (as the pipeline's own hourly sweep does, lib/pipeline/sweep.ts).
 * DescribeExecution can't: it needs the name, which the short id doesn't give back.
 */
import { executionId } from '../pipeline/resolve';
import type { ExecutionStatus } from './decide';
import type { PipelineRun } from './deps';

/** Execution statuses as ListExecutions reports them (ExecutionStatus in the Step Functions API). */
const LISTED: readonly ExecutionStatus[] = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
];

/**
 * A builder's TAG.execution → the status of the pipeline run it names (its short id or its
 * name). NOT_FOUND when no run Step Functions still lists (closed executions for 90 days) matches;
 * a name used again maps to its latest execution; a status this code doesn't know: UNKNOWN.
 */
export function runStatusOf(runs: readonly PipelineRun[]): (tag: string) => ExecutionStatus {
  const byTag = new Map<string, PipelineRun>();
  // Oldest first, so the latest execution of a name (or short id) is the one kept.
  for (const r of [...runs].sort((a, b) => a.startDate - b.startDate)) {
    byTag.set(r.name, r);
    byTag.set(executionId(r.name), r);
  }
  return (tag) => {
    const r = byTag.get(tag);
    if (!r) return 'NOT_FOUND';
    return (LISTED as readonly string[]).includes(r.status) ? (r.status as ExecutionStatus) : 'UNKNOWN';
  };
}
