import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { z } from 'zod';
import { aws } from '../aws/call';
import { AwsRequestError } from '../errors';
import type { BuilderChannel } from './channel';
import {
  type Job,
  type JobClaim,
  JobClaimSchema,
  type JobResult,
  JobResultSchema,
  readAgentDocument,
} from './job';
import { type JobSigner, signJob } from './signer';

export interface S3ChannelOptions {
  bucket: string;
  /** Key prefix; each builder has `<prefix>/<builderName>/jobs/`, `/claims/` and `/results/`. */
  prefix: string;
  /** Signs each job (KMS in AWS). */
  signer: JobSigner;
}

/** Object keys the pipeline and the agent agree on (agent/PROTOCOL.md). */
export const agentKeys = (prefix: string, builderName: string, jobId: string) => ({
  job: `${prefix}/${builderName}/jobs/${jobId}.json`,
  claim: `${prefix}/${builderName}/claims/${jobId}.json`,
  result: `${prefix}/${builderName}/results/${jobId}.json`,
});

/**
 * The AWS channel: the pull agent on the builder polls its jobs prefix, verifies and runs a job,
 * renews its claim and writes the result document next to it. The bucket is the channel; the
 * pipeline never needs network access to the builder.
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
    const bucket = this.bucket();
    const { job: key } = agentKeys(this.options.prefix, job.builderName, job.jobId);
    const envelope = await signJob(job, this.options.signer);
    await aws('s3:PutObject', () =>
      this.s3().send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: JSON.stringify(envelope),
          ContentType: 'application/json',
        }),
      ),
    );
  }

  claim(_region: string, builderName: string, jobId: string): Promise<JobClaim | undefined> {
    return this.read(JobClaimSchema, agentKeys(this.options.prefix, builderName, jobId).claim, builderName);
  }

  result(_region: string, builderName: string, jobId: string): Promise<JobResult | undefined> {
    return this.read(JobResultSchema, agentKeys(this.options.prefix, builderName, jobId).result, builderName);
  }

  /** One agent document, or undefined while the agent hasn't written it. */
  private async read<S extends z.ZodType>(
    schema: S,
    key: string,
    builderName: string,
  ): Promise<z.infer<S> | undefined> {
    const bucket = this.bucket();
    let text: string;
    try {
      const out = await aws('s3:GetObject', () =>
        this.s3().send(new GetObjectCommand({ Bucket: bucket, Key: key })),
      );
      text = await out.Body!.transformToString('utf-8');
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode;
      if (e.name === 'NoSuchKey' || e.name === 'NotFound' || status === 404) return undefined;
      // S3 GetObject permissions: "If you don't have the s3:ListBucket permission, Amazon S3
      // returns an HTTP status code 403 ("access denied") error" for a key that doesn't exist,
      // so a missing document looks like a permission problem without ListBucket.
      if (e.name === 'AccessDenied' || status === 403)
        throw new AwsRequestError(
          `s3:GetObject s3://${bucket}/${key}: AccessDenied. S3 answers 403 (not 404) for a document ` +
            `that doesn't exist yet when the caller lacks s3:ListBucket: grant the pipeline's role s3:ListBucket ` +
            `on the bucket (s3:prefix ${this.options.prefix}/*) as well as s3:GetObject on ${this.options.prefix}/*`,
        );
      throw err;
    }
    return readAgentDocument(schema, text, `s3://${bucket}/${key}`, builderName);
  }
}
