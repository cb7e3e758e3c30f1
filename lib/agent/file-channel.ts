import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { z } from 'zod';
import type { BuilderChannel } from './channel';
import {
  type Job,
  type JobClaim,
  JobClaimSchema,
  type JobResult,
  JobResultSchema,
  readAgentDocument,
} from './job';
import { agentKeys } from './s3-channel';
import { type JobSigner, LocalJobSigner, signJob } from './signer';

/**
 * The S3 layout on a local directory (`file://` for the agents): lets the real builder agents
 * run against a workstation or a test without a bucket. `beforeResult` lets a harness run the
 * agent in step with a virtual clock (called once per look for the result). Jobs are signed
 * with `signer` (the process's local key pair by default): give the agent `publicKeyPem`.
 */
export class FileChannel implements BuilderChannel {
  constructor(
    private readonly root: string,
    private readonly prefix = 'autopilot-agent',
    private readonly beforeResult?: (builderName: string) => Promise<void> | void,
    readonly signer: JobSigner = LocalJobSigner.shared(),
  ) {}

  /** The public key the agent verifies jobs with (local signer only). */
  get publicKeyPem(): string {
    return (this.signer as LocalJobSigner).publicKeyPem;
  }

  /** Where a document of this builder's job lives on disk. */
  path(builderName: string, jobId: string, kind: 'job' | 'claim' | 'result'): string {
    return join(this.root, agentKeys(this.prefix, builderName, jobId)[kind]);
  }

  async submit(_region: string, job: Job): Promise<void> {
    const file = this.path(job.builderName, job.jobId, 'job');
    mkdirSync(dirname(file), { recursive: true });
    // Written whole then renamed, like an S3 PutObject: an agent never sees half a job.
    writeFileSync(`${file}.tmp`, JSON.stringify(await signJob(job, this.signer)));
    renameSync(`${file}.tmp`, file);
  }

  async claim(_region: string, builderName: string, jobId: string): Promise<JobClaim | undefined> {
    return this.read(JobClaimSchema, builderName, jobId, 'claim');
  }

  async result(_region: string, builderName: string, jobId: string): Promise<JobResult | undefined> {
    await this.beforeResult?.(builderName);
    return this.read(JobResultSchema, builderName, jobId, 'result');
  }

  private read<S extends z.ZodType>(
    schema: S,
    builderName: string,
    jobId: string,
    kind: 'claim' | 'result',
  ): z.infer<S> | undefined {
    const file = this.path(builderName, jobId, kind);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    return readAgentDocument(schema, text, file, builderName);
  }
}
