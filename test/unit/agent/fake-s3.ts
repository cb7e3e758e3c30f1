import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/util-stream';
import { mockClient } from 'aws-sdk-client-mock';

/** What one principal's IAM policy allows on the bucket (object keys as IAM globs: `*` spans `/`). */
export interface PrincipalPolicy {
  arn: string;
  getObject?: string[];
  putObject?: string[];
  /** s3:ListBucket on the bucket: decides 404 vs 403 for a key that doesn't exist. */
  listBucket?: boolean;
}

const glob = (pattern: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
const allows = (patterns: string[] | undefined, key: string) =>
  (patterns ?? []).some((p) => glob(p).test(key));

const accessDenied = () =>
  new S3ServiceException({
    name: 'AccessDenied',
    $fault: 'client',
    $metadata: { httpStatusCode: 403 },
    message: 'Access Denied',
  });

/**
 * An in-memory S3 bucket that enforces what real S3 does with our policies:
 * - GetObject of a key that doesn't exist answers 404 NoSuchKey only when the caller also has
 *   s3:ListBucket; without it, 403 AccessDenied (S3 API reference, GetObject, Permissions:
 *   "If you don't have the s3:ListBucket permission, Amazon S3 returns an HTTP status code 403").
 * - The bucket policy's explicit Deny: PutObject on `* /jobs/*` for every principal but the
 *   pipeline's role (an explicit deny wins over any Allow in IAM policy evaluation).
 * Each principal gets its own S3Client (aws-sdk-client-mock) that sees the same objects.
 */
export class FakeS3 {
  readonly objects = new Map<string, Buffer>();

  constructor(
    readonly bucket: string,
    private readonly jobWriterArn: string,
  ) {}

  client(policy: PrincipalPolicy): S3Client {
    const client = new S3Client({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(GetObjectCommand).callsFake(async (input: { Bucket?: string; Key?: string }) => {
      const key = input.Key ?? '';
      if (input.Bucket !== this.bucket || !allows(policy.getObject, key)) throw accessDenied();
      const body = this.objects.get(key);
      if (!body) {
        if (!policy.listBucket) throw accessDenied();
        throw new NoSuchKey({
          message: 'The specified key does not exist.',
          $metadata: { httpStatusCode: 404 },
        });
      }
      return { Body: sdkStreamMixin(Readable.from([body])) };
    });
    mock.on(PutObjectCommand).callsFake(async (input: { Bucket?: string; Key?: string; Body?: unknown }) => {
      const key = input.Key ?? '';
      if (input.Bucket !== this.bucket || !allows(policy.putObject, key)) throw accessDenied();
      if (glob('*/jobs/*').test(key) && policy.arn !== this.jobWriterArn) throw accessDenied();
      this.objects.set(key, Buffer.from(input.Body as string | Uint8Array));
      return {};
    });
    return client;
  }
}
