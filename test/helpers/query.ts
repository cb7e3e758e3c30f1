import { EC2Client } from '@aws-sdk/client-ec2';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll } from 'vitest';
import { ACCOUNT, type EmulatorFixture } from './emulator';

/** Real EC2 and STS SDK clients against the fixture's emulator (the access key picks the account). */
export function queryClients(fixture: EmulatorFixture) {
  const made: { destroy(): void }[] = [];
  afterAll(() => {
    for (const c of made) c.destroy();
  });
  const credentials = (
    account: string | { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  ) => (typeof account === 'string' ? { accessKeyId: account, secretAccessKey: 'secret' } : account);
  return {
    ec2({
      account = ACCOUNT as string | { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
      region = 'us-east-1',
    } = {}): EC2Client {
      const c = new EC2Client({
        endpoint: fixture.emu.endpoint,
        region,
        maxAttempts: 1,
        credentials: credentials(account),
      });
      made.push(c);
      return c;
    },
    sts({
      account = ACCOUNT as string | { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
      region = 'us-east-1',
    } = {}): STSClient {
      const c = new STSClient({
        endpoint: fixture.emu.endpoint,
        region,
        maxAttempts: 1,
        credentials: credentials(account),
      });
      made.push(c);
      return c;
    },
  };
}

/** A raw form-encoded Query-protocol call with a well-formed SigV4 header (signature not checked). */
export async function rawQuery(
  endpoint: string,
  params: Record<string, string> | string,
  { service = 'ec2', account = ACCOUNT, region = 'us-east-1' } = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      authorization: `AWS4-HMAC-SHA256 Credential=${account}/20261126/${region}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcdef0123456789`,
    },
    body: typeof params === 'string' ? params : new URLSearchParams(params).toString(),
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** The error an SDK call rejects with (fails the test if it resolves). */
export async function errorOf(
  p: Promise<unknown>,
): Promise<{ name: string; message: string; $metadata: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (e) {
    return e as never;
  }
  throw new Error('expected the call to fail');
}
