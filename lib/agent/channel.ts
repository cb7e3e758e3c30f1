import type { Job, JobClaim, JobResult } from './job';

/**
 * How the pipeline reaches a builder: hand it a signed job, then watch the agent's claim (its
 * lease, renewed by heartbeats) and read its result. Builders live in an AWS-owned account, so
 * there is no direct call; adapters: S3 pull agent (AWS), a directory (the real agents on a
 * workstation or in tests) and the emulator channel (plays the agent locally).
 */
export interface BuilderChannel {
  /** Signs the job and hands it to the builder. Idempotent per jobId (a retried submit is harmless). */
  submit(region: string, job: Job): Promise<void>;
  /** The agent's claim on the job (heartbeats), else undefined (not picked up yet). */
  claim(region: string, builderName: string, jobId: string): Promise<JobClaim | undefined>;
  /** The job's result once the agent has finished (or refused) it, else undefined. */
  result(region: string, builderName: string, jobId: string): Promise<JobResult | undefined>;
}
