import { describe, expect, it } from 'vitest';
import { signIamRequest, verifySigV4 } from '../../local/up/sigv4';

const SECRET = 'sigv4-unit-secret';
const ACCOUNT = '123456789012';
const NOW = Date.parse('2026-11-26T09:00:00Z');

/** A request as node:http hands it over, signed by the SDK's signer for `execute-api`. */
async function signed(
  url: string,
  method: string,
  body = '',
  opts: { secret?: string; at?: number; region?: string; service?: string; unsignedHeaders?: string[] } = {},
) {
  const headers = await signIamRequest({
    url,
    method,
    body: body || undefined,
    accessKeyId: ACCOUNT,
    secretAccessKey: opts.secret ?? SECRET,
    headers: body ? { 'content-type': 'application/json' } : {},
    signedAt: new Date(opts.at ?? NOW),
    region: opts.region,
    service: opts.service,
    unsignedHeaders: opts.unsignedHeaders,
  });
  const u = new URL(url);
  return {
    method,
    path: u.pathname,
    query: u.search.slice(1),
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
    body: Buffer.from(body),
  };
}

const verify = (req: Awaited<ReturnType<typeof signed>>, nowMs = NOW) =>
  verifySigV4(req, { account: ACCOUNT, secret: SECRET, region: 'us-east-1', nowMs });

describe('local up: SigV4 on the IAM routes', () => {
  it('accepts a request signed with the local key and says who called', async () => {
    const v = await verify(
      await signed('http://127.0.0.1:4567/pipelines/office-apps/runs?x=1', 'POST', '{}'),
    );
    expect(v).toEqual({
      ok: true,
      caller: {
        accessKey: ACCOUNT,
        accountId: ACCOUNT,
        userArn: `arn:aws:iam::${ACCOUNT}:root`,
        userId: ACCOUNT,
      },
    });
  });

  it('refuses a body, path or query changed after signing', async () => {
    const req = await signed('http://127.0.0.1:4567/cleanup/runs?x=1', 'POST', '{"dryRun":true}');
    const mismatch = { ok: false, error: 'InvalidSignature' };
    expect(await verify({ ...req, body: Buffer.from('{"dryRun":false}') })).toMatchObject(mismatch);
    expect(await verify({ ...req, path: '/cleanup/runz' })).toMatchObject(mismatch);
    expect(await verify({ ...req, query: 'x=2' })).toMatchObject(mismatch);
    expect(await verify({ ...req, method: 'PUT' })).toMatchObject(mismatch);
  });

  it('refuses a signature that leaves out the host, so it cannot be replayed against another host', async () => {
    const url = 'http://127.0.0.1:4567/runs/x';
    const req = await signed(url, 'GET', '', { unsignedHeaders: ['host'] });
    // A correct signature over everything else: only the missing host is wrong with it.
    expect(req.headers.authorization).toMatch(/SignedHeaders=x-amz-content-sha256;x-amz-date,/);
    expect(await verify(req)).toEqual({
      ok: false,
      error: 'IncompleteSignature',
      message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    });
    // The same request with the host signed passes; sent to another host, it no longer matches.
    const withHost = await signed(url, 'GET');
    expect(await verify(withHost)).toMatchObject({ ok: true });
    expect(
      await verify({ ...withHost, headers: { ...withHost.headers, host: 'api.example.com' } }),
    ).toMatchObject({ ok: false, error: 'InvalidSignature' });
  });

  it("refuses a credential scoped to another service or to another region than the API's", async () => {
    const url = 'http://127.0.0.1:4567/runs/x';
    expect(await verify(await signed(url, 'GET', '', { service: 'appstream' }))).toEqual({
      ok: false,
      error: 'InvalidSignature',
      message: "Credential should be scoped to correct service: 'execute-api'.",
    });
    // Correctly signed with the right secret, but for eu-west-1: the API is in us-east-1.
    expect(await verify(await signed(url, 'GET', '', { region: 'eu-west-1' }))).toEqual({
      ok: false,
      error: 'InvalidSignature',
      message: "Credential should be scoped to a valid region, not 'eu-west-1'.",
    });
    expect(
      await verifySigV4(await signed(url, 'GET', '', { region: 'eu-west-1' }), {
        account: ACCOUNT,
        secret: SECRET,
        region: 'eu-west-1',
        nowMs: NOW,
      }),
    ).toMatchObject({ ok: true });
  });

  it('refuses a signature more than 5 minutes old or ahead, in AWS words', async () => {
    const req = await signed('http://127.0.0.1:4567/runs/x', 'GET');
    expect(await verify(req, NOW + 4 * 60_000)).toMatchObject({ ok: true });
    expect(await verify(req, NOW + 6 * 60_000)).toEqual({
      ok: false,
      error: 'InvalidSignature',
      message:
        'Signature expired: 20261126T090000Z is now earlier than 20261126T090100Z (20261126T090600Z - 5 min.)',
    });
    expect(await verify(req, NOW - 6 * 60_000)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^Signature not yet current: 20261126T090000Z is still later than/),
    });
  });

  it('accepts the path signed as sent (curl before 8), as well as double-encoded (the SDKs)', async () => {
    // The SDK's signer encodes the path once more (`%3A` → `%253A`): that is the standard form.
    const sdk = await signed('http://127.0.0.1:4567/runs/pipeline%3Aa', 'GET');
    expect(await verify(sdk)).toMatchObject({ ok: true });
    // A signature over the raw path, as curl 7.x computes it, proves the secret just the same.
    const raw = await signed('http://127.0.0.1:4567/runs/pipeline:a', 'GET');
    expect(await verify(raw)).toMatchObject({ ok: true });
  });
});
