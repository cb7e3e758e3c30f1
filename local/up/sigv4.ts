/**
 * AWS_IAM authorization of the local webhook server: what API Gateway does for a route with
 * `authorizationType: AWS_IAM` before the Lambda sees the request. It recomputes the SigV4
 * signature (service `execute-api`) with the caller's secret and compares it with the one sent,
 * in constant time (crypto.timingSafeEqual).
 *
 * Credentials: the emulator's long-term keys of the local account (a 12-digit key id is the
 * account's root, `AKIA<account>XXXX` its IAM user `user-XXXX`: emulator/README.md "Accounts and
 * regions"), with the secret `autopilot local up` prints. The emulator itself accepts any secret,
 * so the same `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` serve the AWS CLI against the emulator
 * and signed calls to this API. Temporary (`ASIA…`) keys are refused: the emulator does not keep
 * the secrets STS handed out. Another account's keys are AccessDenied: an HTTP API has no resource
 * policy, so only the API's own account can be granted execute-api:Invoke.
 *
 * Answers (AWS Knowledge Center, "troubleshoot signature mismatch errors … SigV4 signed requests
 * with IAM authentication to API Gateway"; IAM User Guide, "Troubleshoot signed requests for AWS
 * APIs"), all HTTP 403: unsigned → "Missing Authentication Token"; host not among the signed
 * headers, or a credential scope of another service or region → API Gateway's words for those
 * (cited where they are checked); unknown key → "The security token
 * included in the request is invalid."; wrong secret or request → "The request signature we
 * calculated does not match the signature you provided…"; X-Amz-Date more than 5 minutes off →
 * "Signature expired: … is now earlier than …" / "Signature not yet current: … is still later
 * than …"; another account → "User: … is not authorized to perform: execute-api:Invoke on resource: …".
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData } from '@smithy/types';
import { accountOf } from '../../emulator/auth';

/** SigV4 lets a signature's X-Amz-Date be at most 5 minutes away from the server's clock. */
const SKEW_MS = 5 * 60_000;

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/;

export interface IamCaller {
  accessKey: string;
  accountId: string;
  userArn: string;
  userId: string;
}

export type IamVerdict = { ok: true; caller: IamCaller } | { ok: false; error: string; message: string };

export interface SignedRequest {
  method: string;
  /** The path as sent (percent-encoded), without the query string. */
  path: string;
  /** The raw query string (without `?`). */
  query: string;
  /** Header names in lower case, as node:http gives them. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** node:crypto as the SHA-256 the smithy signer takes (hash, or HMAC with a secret). */
class NodeSha256 implements Checksum {
  private hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  private fresh() {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.secret));
  }
  update(data: Uint8Array | string): void {
    this.hash.update(typeof data === 'string' ? data : Buffer.from(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

const toBuffer = (d: SourceData): Buffer =>
  typeof d === 'string'
    ? Buffer.from(d, 'utf8')
    : ArrayBuffer.isView(d)
      ? Buffer.from(d.buffer, d.byteOffset, d.byteLength)
      : Buffer.from(d as ArrayBuffer);

const header = (h: SignedRequest['headers'], name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : v;
};

/** `20261126T091300Z` → epoch ms. */
const amzDate = (s: string): number | undefined => {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : undefined;
};

const deny = (error: string, message: string): IamVerdict => ({ ok: false, error, message });

/**
 * Verifies a request signed for `execute-api` in `region` by a long-term key of `account` with `secret`.
 * `nowMs` is the real clock (signers stamp real time, not the emulator's virtual one).
 */
export async function verifySigV4(
  req: SignedRequest,
  opts: { account: string; secret: string; region: string; nowMs: number; apiArn?: string },
): Promise<IamVerdict> {
  const authorization = header(req.headers, 'authorization');
  if (!authorization) return deny('MissingAuthenticationToken', 'Missing Authentication Token');
  const m = AUTH.exec(authorization.trim());
  if (!m)
    return deny(
      'IncompleteSignature',
      "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters (AWS4-HMAC-SHA256).",
    );
  const [, accessKeyId, scopeDate, region, service, signedHeaders, signature] = m;
  const names = signedHeaders.split(';');
  // The host is always signed (SigV4: "the host header … must be included"), so a signature can't be
  // replayed against another host; API Gateway refuses one without it
  // (aws/aws-sdk-php#2469, {"message": "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."}).
  if (!names.includes('host') && !names.includes(':authority'))
    return deny(
      'IncompleteSignature',
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
  // The credential scope names the API's service and region (API Gateway's answers: ex-aws/ex_aws#701
  // "Credential should be scoped to correct service: 'execute-api'. "; "Credential should be scoped
  // to a valid region, not 'ap-northeast-1'. " for a signature scoped to another region).
  if (service !== 'execute-api')
    return deny('InvalidSignature', `Credential should be scoped to correct service: 'execute-api'.`);
  if (region !== opts.region)
    return deny('InvalidSignature', `Credential should be scoped to a valid region, not '${region}'.`);
  const longTerm = /^\d{12}$/.test(accessKeyId) || /^AKIA\d{12}[A-Z0-9]{4}$/.test(accessKeyId);
  if (!longTerm) return deny('UnrecognizedClient', 'The security token included in the request is invalid.');
  const account = accountOf(accessKeyId);
  const userArn = /^\d{12}$/.test(accessKeyId)
    ? `arn:aws:iam::${account}:root`
    : `arn:aws:iam::${account}:user/user-${accessKeyId.slice(-4)}`;
  const dateHeader = header(req.headers, 'x-amz-date');
  const signedAt = dateHeader ? amzDate(dateHeader) : undefined;
  if (!dateHeader || signedAt === undefined)
    return deny(
      'IncompleteSignature',
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    );
  if (!dateHeader.startsWith(scopeDate))
    return deny(
      'InvalidSignature',
      'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.',
    );
  const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');
  if (signedAt < opts.nowMs - SKEW_MS)
    return deny(
      'InvalidSignature',
      `Signature expired: ${dateHeader} is now earlier than ${stamp(opts.nowMs - SKEW_MS)} (${stamp(opts.nowMs)} - 5 min.)`,
    );
  if (signedAt > opts.nowMs + SKEW_MS)
    return deny(
      'InvalidSignature',
      `Signature not yet current: ${dateHeader} is still later than ${stamp(opts.nowMs + SKEW_MS)} (${stamp(opts.nowMs)} + 5 min.)`,
    );
  // The payload hash is ours to compute: a client's x-amz-content-sha256 (the SDKs send one) must
  // be the body's, or a body swapped after signing would pass with the old hash (S3 answers this
  // XAmzContentSHA256Mismatch; the signer takes the header's value as the payload hash).
  const contentSha = header(req.headers, 'x-amz-content-sha256');
  if (contentSha !== undefined && contentSha !== createHash('sha256').update(req.body).digest('hex'))
    return deny(
      'InvalidSignature',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
  // Re-sign exactly what the client signed: the headers it named, the path as sent, the body.
  const headers: Record<string, string> = {};
  for (const n of names) {
    const v = header(req.headers, n);
    if (v !== undefined) headers[n] = v;
  }
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(req.query)) {
    const seen = query[k];
    query[k] = seen === undefined ? v : [...[seen].flat(), v];
  }
  const expectedWith = async (uriEscapePath: boolean) => {
    const signer = new SignatureV4({
      service: 'execute-api',
      region,
      credentials: { accessKeyId, secretAccessKey: opts.secret },
      sha256: NodeSha256,
      applyChecksum: false,
      uriEscapePath,
    });
    const signed = await signer.sign(
      {
        method: req.method,
        protocol: 'http:',
        hostname: (header(req.headers, 'host') ?? '').split(':')[0],
        path: req.path,
        query,
        headers,
        body: req.body.length ? req.body : undefined,
      },
      { signingDate: new Date(signedAt), signableHeaders: new Set(names) },
    );
    return Buffer.from(
      /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))?.[1] ?? '',
      'hex',
    );
  };
  const given = Buffer.from(signature, 'hex');
  const same = (a: Buffer) => a.length === given.length && timingSafeEqual(a, given);
  // SigV4's canonical URI encodes each path segment twice for every service but S3 (IAM User
  // Guide, "Create a canonical request"): the SDKs do. curl before 8 (--aws-sigv4) signs the path
  // as sent, so `/runs/pipeline:x` from curl 7.x is accepted in that form too: either one proves
  // the caller holds the secret.
  if (!same(await expectedWith(true)) && !same(await expectedWith(false)))
    return deny(
      'InvalidSignature',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  if (account !== opts.account)
    return deny(
      'AccessDenied',
      `User: ${userArn} is not authorized to perform: execute-api:Invoke on resource: ${opts.apiArn ?? 'this API'}`,
    );
  const userId = /^\d{12}$/.test(accessKeyId) ? account : `AIDA${accessKeyId.slice(4)}`;
  return { ok: true, caller: { accessKey: accessKeyId, accountId: account, userArn, userId } };
}

/**
 * The headers that sign a request to the local (or deployed) API for `execute-api` with SigV4:
 * what the AWS SDKs and `curl --aws-sigv4 aws:amz:<region>:execute-api` send. For tests and
 * scripts; `signedAt` defaults to now.
 */
export async function signIamRequest(req: {
  url: string;
  method: string;
  body?: string;
  accessKeyId: string;
  secretAccessKey: string;
  region?: string;
  headers?: Record<string, string>;
  signedAt?: Date;
  /** Default `execute-api`; another one is what a misconfigured client sends (tests). */
  service?: string;
  /** Headers left out of the signature (tests: a signer that doesn't sign `host`). */
  unsignedHeaders?: string[];
}): Promise<Record<string, string>> {
  const u = new URL(req.url);
  const query: Record<string, string> = {};
  for (const [k, v] of u.searchParams) query[k] = v;
  const signer = new SignatureV4({
    service: req.service ?? 'execute-api',
    region: req.region ?? 'us-east-1',
    credentials: { accessKeyId: req.accessKeyId, secretAccessKey: req.secretAccessKey },
    sha256: NodeSha256,
  });
  const signed = await signer.sign(
    {
      method: req.method,
      protocol: u.protocol,
      hostname: u.hostname,
      port: u.port ? Number(u.port) : undefined,
      path: u.pathname,
      query,
      headers: { host: u.host, ...(req.headers ?? {}) },
      body: req.body,
    },
    { signingDate: req.signedAt, unsignableHeaders: new Set(req.unsignedHeaders ?? []) },
  );
  return signed.headers as Record<string, string>;
}
