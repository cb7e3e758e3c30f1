import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AwsRequestError } from '../pipeline/errors';
import type { BuilderChannel } from './channel';
import { type Job, type JobResult, JobResultSchema } from './job';
import { agentKeys } from './s3-channel';

/**
 * The S3 layout on a local directory (`file://` for the agents): lets the real builder agents
 * run against a workstation or a test without a bucket. `beforeResult` lets a harness run the
 * agent in step with a virtual clock.
 */
export class FileChannel implements BuilderChannel {
  constructor(
    private readonly root: string,
    private readonly prefix = 'autopilot-agent',
    private readonly beforeResult?: (builderName: string) => Promise<void> | void,
  ) {}

  async submit(_region: string, job: Job): Promise<void> {
    const file = join(this.root, agentKeys(this.prefix, job.builderName, job.jobId).job);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(job));
  }

  async result(_region: string, builderName: string, jobId: string): Promise<JobResult | undefined> {
    await this.beforeResult?.(builderName);
    let text: string;
    try {
      text = readFileSync(join(this.root, agentKeys(this.prefix, builderName, jobId).result), 'utf8');
    } catch {
      return undefined;
    }
    const parsed = JobResultSchema.safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new AwsRequestError(
        `Result of ${jobId} does not match the result schema: ${parsed.error.message}`,
      );
    return parsed.data;
  }
}
