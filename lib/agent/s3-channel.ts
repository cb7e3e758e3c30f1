import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { aws } from '../appstream/call';
import { AwsRequestError } from '../pipeline/errors';
import type { BuilderChannel } from './channel';
import { type Job, type JobResult, JobResultSchema } from './job';

export interface S3ChannelOptions {
  bucket: string;
  /** Key prefix; each builder has `<prefix>/<builderName>/jobs/` and `/results/`. */
  prefix: string;
}

/** Object keys the pipeline and the agent agree on. */
export const agentKeys = (prefix: string, builderName: string, jobId: string) => ({
  job: `${prefix}/${builderName}/jobs/${jobId}.json`,
  result: `${prefix}/${builderName}/results/${jobId}.json`,
});

/**
 * The AWS channel: the pull agent on the builder polls its jobs prefix, runs a job and writes
 * the result document next to it. The bucket is the channel; the pipeline never needs network
 * access to the builder.
 */
export class S3Channel implements BuilderChannel {
  constructor(
    private readonly s3: () => S3Client,
    private readonly options: S3ChannelOptions,
  ) {}

  private bucket(): string {
    if (!this.options.bucket)
      throw new AwsRequestError('AGENT_BUCKET is not set: the builder agent channel has no bucket');
    return this.options.bucket;
  }

  async submit(_region: string, job: Job): Promise<void> {
    const { job: key } = agentKeys(this.options.prefix, job.builderName, job.jobId);
    await aws('s3:PutObject', () =>
      this.s3().send(
        new PutObjectCommand({
          Bucket: this.bucket(),
          Key: key,
          Body: JSON.stringify(job),
          ContentType: 'application/json',
        }),
      ),
    );
  }

  async result(_region: string, builderName: string, jobId: string): Promise<JobResult | undefined> {
    const { result: key } = agentKeys(this.options.prefix, builderName, jobId);
    try {
      const out = await aws('s3:GetObject', () =>
        this.s3().send(new GetObjectCommand({ Bucket: this.bucket(), Key: key })),
      );
      const parsed = JobResultSchema.safeParse(JSON.parse(await out.Body!.transformToString()));
      if (!parsed.success)
        throw new AwsRequestError(`Result ${key} does not match the result schema: ${parsed.error.message}`);
      return parsed.data;
    } catch (err) {
      if ((err as Error).name === 'NoSuchKey') return undefined;
      throw err;
    }
  }
}
