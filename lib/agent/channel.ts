import type { Job, JobResult } from './job';

/**
 * How the pipeline reaches a builder: hand it a job, later read its result. Builders live in an
 * AWS-owned account, so there is no direct call; adapters: S3 pull agent (AWS) and the
 * emulator's Image Assistant endpoint (local).
 */
export interface BuilderChannel {
  /** Hands the job to the builder. Idempotent per jobId (a retried submit is harmless). */
  submit(region: string, job: Job): Promise<void>;
  /** The job's result once the builder has finished it, else undefined. */
  result(region: string, builderName: string, jobId: string): Promise<JobResult | undefined>;
}
