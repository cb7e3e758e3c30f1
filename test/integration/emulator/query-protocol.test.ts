import { DescribeStacksCommand } from '@aws-sdk/client-appstream';
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { accessKeyFor } from '../../../emulator/auth';
import { OTHER_ACCOUNT, rawCall, useEmulator } from '../../helpers/emulator';
import { errorOf, queryClients, rawQuery } from '../../helpers/query';

const t = useEmulator();
const clients = queryClients(t);
const ROLE = `arn:aws:iam::${OTHER_ACCOUNT}:role/Admin`;
const V = '2016-11-15';

const code = (text: string) => /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
const message = (text: string) => /<Message>([^<]*)<\/Message>/.exec(text)?.[1];

describe('Emulator: Query protocol — Version (EC2 API Reference, "Common query parameters")', () => {
  it('requires Version on EC2: MissingParameter without it, NoSuchVersion for another', async () => {
    const missing = await rawQuery(t.emu.endpoint, { Action: 'DescribeVpcs' });
    expect(missing.status).toBe(400);
    expect(code(missing.text)).toBe('MissingParameter');
    expect(message(missing.text)).toBe('The request must contain the parameter Version');
    const other = await rawQuery(t.emu.endpoint, { Action: 'DescribeVpcs', Version: '1999-01-01' });
    expect(other.status).toBe(400);
    expect(code(other.text)).toBe('NoSuchVersion');
    expect(message(other.text)).toBe(
      'The requested version (1999-01-01) of service AmazonEC2 does not exist',
    );
    expect((await rawQuery(t.emu.endpoint, { Action: 'DescribeVpcs', Version: V })).status).toBe(200);
  });

  it('requires Version on STS: MissingParameter without it, InvalidAction for another', async () => {
    const missing = await rawQuery(t.emu.endpoint, { Action: 'GetCallerIdentity' }, { service: 'sts' });
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('<ErrorResponse');
    expect(code(missing.text)).toBe('MissingParameter');
    const other = await rawQuery(
      t.emu.endpoint,
      { Action: 'GetCallerIdentity', Version: '1999-01-01' },
      { service: 'sts' },
    );
    expect(other.status).toBe(400);
    expect(code(other.text)).toBe('InvalidAction');
    expect(message(other.text)).toBe('Could not find operation GetCallerIdentity for version 1999-01-01');
  });
});

describe('Emulator: temporary credentials in every protocol', () => {
  async function assumed(duration = 900) {
    const { Credentials } = await clients
      .sts()
      .send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'exp', DurationSeconds: duration }));
    return {
      accessKeyId: Credentials?.AccessKeyId as string,
      secretAccessKey: Credentials?.SecretAccessKey as string,
      sessionToken: Credentials?.SessionToken,
    };
  }

  it('refuses expired STS credentials: JSON ExpiredTokenException, EC2 RequestExpired, STS ExpiredToken', async () => {
    const creds = await assumed();
    // Valid until expiry in every protocol.
    expect((await rawCall(t.emu.endpoint, 'DescribeStacks', {}, { account: creds.accessKeyId })).status).toBe(
      200,
    );
    expect((await clients.ec2({ account: creds }).send(new DescribeVpcsCommand({}))).Vpcs).toHaveLength(1);
    t.emu.control.advance(901_000);
    const json = await rawCall(t.emu.endpoint, 'DescribeStacks', {}, { account: creds.accessKeyId });
    expect(json.status).toBe(403);
    expect(json.json).toEqual({
      __type: 'ExpiredTokenException',
      message: 'The security token included in the request is expired',
    });
    const appstream = await errorOf(
      t.client({ account: creds.accessKeyId }).send(new DescribeStacksCommand({})),
    );
    expect(appstream.name).toBe('ExpiredTokenException');
    const ec2 = await errorOf(clients.ec2({ account: creds }).send(new DescribeVpcsCommand({})));
    expect([ec2.name, ec2.message, ec2.$metadata.httpStatusCode]).toEqual([
      'RequestExpired',
      'Request has expired.',
      400,
    ]);
    const sts = await errorOf(clients.sts({ account: creds }).send(new GetCallerIdentityCommand({})));
    expect([sts.name, sts.message, sts.$metadata.httpStatusCode]).toEqual([
      'ExpiredToken',
      'The security token included in the request is expired',
      403,
    ]);
  });

  it('refuses an ASIA key STS never issued: JSON UnrecognizedClientException, EC2 AuthFailure, STS InvalidClientTokenId', async () => {
    const forged = accessKeyFor(OTHER_ACCOUNT, true, 'ZZZZ');
    const json = await rawCall(t.emu.endpoint, 'DescribeStacks', {}, { account: forged });
    expect(json.status).toBe(403);
    expect(json.json).toEqual({
      __type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
    const ec2 = await errorOf(clients.ec2({ account: forged }).send(new DescribeVpcsCommand({})));
    expect([ec2.name, ec2.message, ec2.$metadata.httpStatusCode]).toEqual([
      'AuthFailure',
      'AWS was not able to validate the provided access credentials',
      401,
    ]);
    const sts = await errorOf(clients.sts({ account: forged }).send(new GetCallerIdentityCommand({})));
    expect([sts.name, sts.message, sts.$metadata.httpStatusCode]).toEqual([
      'InvalidClientTokenId',
      'The security token included in the request is invalid.',
      403,
    ]);
  });

  it('keeps long-term keys (12 digits, AKIA + 12 digits + 4) working as that account, forever', async () => {
    t.emu.control.advance(10 * 365 * 86_400_000);
    for (const key of [OTHER_ACCOUNT, accessKeyFor(OTHER_ACCOUNT, false)]) {
      const id = await clients.sts({ account: key }).send(new GetCallerIdentityCommand({}));
      expect(id.Account).toBe(OTHER_ACCOUNT);
      expect((await rawCall(t.emu.endpoint, 'DescribeStacks', {}, { account: key })).status).toBe(200);
    }
  });
});

describe('Emulator: regions per service (regions.ts)', () => {
  it('serves EC2 and STS in every commercial region, AppStream only where it runs', async () => {
    const id = await clients.sts({ region: 'us-west-1' }).send(new GetCallerIdentityCommand({}));
    expect(id.Account).toBe('123456789012');
    expect((await clients.ec2({ region: 'af-south-1' }).send(new DescribeVpcsCommand({}))).Vpcs).toHaveLength(
      1,
    );
    const appstream = await rawCall(t.emu.endpoint, 'DescribeStacks', {}, { region: 'us-west-1' });
    expect(appstream.status).toBe(403);
    expect(appstream.json.__type).toBe('InvalidSignatureException');
    const nowhere = await errorOf(
      clients.sts({ region: 'xx-nowhere-1' }).send(new GetCallerIdentityCommand({})),
    );
    expect([nowhere.name, nowhere.$metadata.httpStatusCode]).toEqual(['SignatureDoesNotMatch', 403]);
  });
});

describe('Emulator: Query protocol — list indexes', () => {
  it('refuses 0-based, non-numeric and oversized list indexes instead of dropping them', async () => {
    for (const [name, expected] of [
      ['Filter.0.Name', 'UnknownParameter'],
      ['Filter.abc.Name', 'UnknownParameter'],
      ['Filter.01.Name', 'UnknownParameter'],
      ['VpcId.0', 'UnknownParameter'],
      ['Filter.1001.Name', 'InvalidParameterValue'],
    ] as const) {
      const res = await rawQuery(t.emu.endpoint, { Action: 'DescribeVpcs', Version: V, [name]: 'vpc-id' });
      expect(res.status, name).toBe(400);
      expect(code(res.text), name).toBe(expected);
      expect(message(res.text), name).toContain(name);
    }
    const sts = await rawQuery(
      t.emu.endpoint,
      {
        Action: 'AssumeRole',
        Version: '2011-06-15',
        RoleArn: ROLE,
        RoleSessionName: 's',
        'PolicyArns.member.0.arn': 'x',
      },
      { service: 'sts' },
    );
    expect(sts.status).toBe(400);
    expect(sts.text).toContain('PolicyArns.member.0.arn');
  });
});

describe('Emulator: routing by content type and credential scope', () => {
  it('answers a form body with X-Amz-Target signed for AppStream in JSON, not as STS XML', async () => {
    const res = await fetch(`${t.emu.endpoint}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-amz-target': 'PhotonAdminProxyService.DescribeStacks',
        authorization:
          'AWS4-HMAC-SHA256 Credential=123456789012/20261126/us-east-1/appstream/aws4_request, SignedHeaders=host, Signature=abcdef01',
      },
      body: 'Action=DescribeStacks',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('json');
    expect(((await res.json()) as { __type: string }).__type).toBe('SerializationException');
  });

  it('answers a form body with a stray X-Amz-Target signed for EC2 as EC2', async () => {
    const res = await fetch(`${t.emu.endpoint}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-amz-target': 'PhotonAdminProxyService.DescribeStacks',
        authorization:
          'AWS4-HMAC-SHA256 Credential=123456789012/20261126/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=abcdef01',
      },
      body: `Action=DescribeVpcs&Version=${V}`,
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<DescribeVpcsResponse');
  });
});

describe('Emulator: Query protocol — error wording', () => {
  it("words EC2 constraint errors as EC2 does: 'Value (x) for parameter y is invalid.'", async () => {
    const res = await rawQuery(t.emu.endpoint, { Action: 'DescribeVpcs', Version: V, MaxResults: '-1' });
    expect(res.status).toBe(400);
    expect(code(res.text)).toBe('InvalidParameterValue');
    expect(message(res.text)).toMatch(/^Value \(-1\) for parameter maxResults is invalid\. /);
    expect(res.text).not.toContain('validation error detected');
  });

  it("keeps STS's own wording: ValidationError '1 validation error detected: ...'", async () => {
    const res = await rawQuery(
      t.emu.endpoint,
      {
        Action: 'AssumeRole',
        Version: '2011-06-15',
        RoleArn: ROLE,
        RoleSessionName: 'ss',
        DurationSeconds: '10',
      },
      { service: 'sts' },
    );
    expect(res.status).toBe(400);
    expect(code(res.text)).toBe('ValidationError');
    expect(message(res.text)).toMatch(
      /^1 validation error detected: Value '?10'? at 'durationSeconds' failed to satisfy constraint: /,
    );
  });
});
