import { AppStreamClient, CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-appstream';
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, GetCallerIdentityCommand, GetSessionTokenCommand } from '@aws-sdk/client-sts';
import { afterAll, describe, expect, it } from 'vitest';
import { OTHER_ACCOUNT, useEmulator } from '../../helpers/emulator';
import { errorOf, queryClients, rawQuery } from '../../helpers/query';

const t = useEmulator();
const clients = queryClients(t);
const ROLE = `arn:aws:iam::${OTHER_ACCOUNT}:role/OrganizationAccountAccessRole`;

const appstreams: AppStreamClient[] = [];
afterAll(() => {
  for (const c of appstreams) c.destroy();
});

async function markRole(body: unknown) {
  const res = await fetch(`${t.emu.endpoint}/_emulator/sts/roles`, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('Emulator: STS AssumeRole', () => {
  it('returns temporary credentials whose access key id encodes the role account', async () => {
    const before = t.emu.control.clock().now;
    const out = await clients
      .sts()
      .send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'autopilot', DurationSeconds: 900 }));
    expect(out.Credentials?.AccessKeyId).toMatch(new RegExp(`^ASIA${OTHER_ACCOUNT}[A-Z0-9]{4}$`));
    expect(out.Credentials?.SecretAccessKey).toHaveLength(40);
    expect(out.Credentials?.SessionToken?.length).toBeGreaterThan(40);
    const expires = out.Credentials?.Expiration?.getTime() ?? 0;
    expect(expires - before).toBeGreaterThanOrEqual(899_000);
    expect(expires - before).toBeLessThanOrEqual(960_000);
    expect(out.AssumedRoleUser?.Arn).toBe(
      `arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/OrganizationAccountAccessRole/autopilot`,
    );
    expect(out.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA[A-Z0-9]{17}:autopilot$/);
  });

  it('lands calls made with the assumed credentials in the other account', async () => {
    const { Credentials } = await clients
      .sts()
      .send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 's1' }));
    const credentials = {
      accessKeyId: Credentials?.AccessKeyId as string,
      secretAccessKey: Credentials?.SecretAccessKey as string,
      sessionToken: Credentials?.SessionToken,
    };
    const assumed = new AppStreamClient({
      endpoint: t.emu.endpoint,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials,
    });
    appstreams.push(assumed);
    await assumed.send(new CreateStackCommand({ Name: 'member-stack' }));
    const theirs = await t.client({ account: OTHER_ACCOUNT }).send(new DescribeStacksCommand({}));
    const mine = await t.client().send(new DescribeStacksCommand({}));
    expect(theirs.Stacks?.map((s) => s.Name)).toEqual(['member-stack']);
    expect(theirs.Stacks?.[0].Arn).toContain(`:${OTHER_ACCOUNT}:`);
    expect(mine.Stacks ?? []).toEqual([]);
    const who = await clients.sts({ account: credentials }).send(new GetCallerIdentityCommand({}));
    expect(who).toMatchObject({
      Account: OTHER_ACCOUNT,
      Arn: `arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/OrganizationAccountAccessRole/s1`,
    });
    expect(who.UserId).toMatch(/^AROA[A-Z0-9]{17}:s1$/);
    const vpcs = await clients.ec2({ account: credentials }).send(new DescribeVpcsCommand({}));
    expect(vpcs.Vpcs?.[0].OwnerId).toBe(OTHER_ACCOUNT);
  });

  it('answers AccessDenied (403) for a role marked not assumable, naming the caller and the role', async () => {
    const marked = await markRole({ roleArn: ROLE, assumable: false });
    expect(marked.status).toBe(200);
    const e = await errorOf(
      clients.sts().send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 's1' })),
    );
    expect(e.name).toBe('AccessDenied');
    expect(e.$metadata.httpStatusCode).toBe(403);
    expect(e.message).toBe(
      `User: arn:aws:iam::123456789012:root is not authorized to perform: sts:AssumeRole on resource: ${ROLE}`,
    );
    await markRole({ roleArn: ROLE, assumable: true });
    await clients.sts().send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 's1' }));
  });

  it("validates the role marking route's body", async () => {
    const bad = await markRole({ roleArn: 'not-an-arn', assumable: 'no' });
    expect(bad.status).toBe(400);
    expect(bad.json.__type).toBe('ValidationException');
  });

  it('limits DurationSeconds to the role maximum session duration (1 h unless set) and role chaining to 1 h', async () => {
    const sts = clients.sts();
    const long = await errorOf(
      sts.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 's1', DurationSeconds: 7200 })),
    );
    expect(long).toMatchObject({
      name: 'ValidationError',
      message: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    });
    await markRole({ roleArn: ROLE, assumable: true, maxSessionDuration: 43200 });
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 's1', DurationSeconds: 7200 }),
    );
    const tooShort = await errorOf(
      sts.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 's1', DurationSeconds: 899 })),
    );
    expect(tooShort.name).toBe('ValidationError');
    expect(tooShort.message).toContain("at 'durationSeconds'");
    const chained = clients.sts({
      account: {
        accessKeyId: Credentials?.AccessKeyId as string,
        secretAccessKey: 'x',
        sessionToken: Credentials?.SessionToken,
      },
    });
    const e = await errorOf(
      chained.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 's2', DurationSeconds: 7200 })),
    );
    expect(e.message).toBe(
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
  });

  it('answers ExpiredToken once the credentials expire on the virtual clock', async () => {
    const { Credentials } = await clients
      .sts()
      .send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 's1', DurationSeconds: 900 }));
    t.emu.control.advance(901_000);
    const sts = clients.sts({
      account: { accessKeyId: Credentials?.AccessKeyId as string, secretAccessKey: 'x', sessionToken: 'y' },
    });
    expect((await errorOf(sts.send(new GetCallerIdentityCommand({})))).name).toBe('ExpiredToken');
  });

  it('refuses a RoleArn that is not an IAM role ARN and a short session name', async () => {
    const sts = clients.sts();
    expect(
      (
        await errorOf(
          sts.send(
            new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::123:user/x-long-enough', RoleSessionName: 's1' }),
          ),
        )
      ).name,
    ).toBe('ValidationError');
    const e = await errorOf(sts.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 's' })));
    expect(e.message).toContain("at 'roleSessionName' failed to satisfy constraint");
  });
});

describe('Emulator: STS GetCallerIdentity and protocol', () => {
  it("answers the caller's account (root of the account for long-term keys)", async () => {
    const me = await clients.sts().send(new GetCallerIdentityCommand({}));
    expect(me).toMatchObject({
      Account: '123456789012',
      Arn: 'arn:aws:iam::123456789012:root',
      UserId: '123456789012',
    });
    const other = await clients
      .sts({ account: `AKIA${OTHER_ACCOUNT}ABCD` })
      .send(new GetCallerIdentityCommand({}));
    expect(other.Account).toBe(OTHER_ACCOUNT);
  });

  it('answers the Query-protocol XML shape with the STS namespace and RequestId', async () => {
    const res = await rawQuery(
      t.emu.endpoint,
      { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      { service: 'sts' },
    );
    expect(res.status).toBe(200);
    expect(res.text).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<GetCallerIdentityResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/"><GetCallerIdentityResult>.*<\/GetCallerIdentityResult><ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata><\/GetCallerIdentityResponse>$/,
    );
    for (const element of [
      '<Arn>arn:aws:iam::123456789012:root</Arn>',
      '<UserId>123456789012</UserId>',
      '<Account>123456789012</Account>',
    ])
      expect(res.text).toContain(element);
  });

  it('answers errors as <ErrorResponse> with a Sender type', async () => {
    const res = await rawQuery(t.emu.endpoint, { Action: 'Nope', Version: '2011-06-15' }, { service: 'sts' });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(
      /^<ErrorResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/"><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code><Message>Could not find operation Nope for version 2011-06-15<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/,
    );
  });

  it('answers NotImplemented for the STS operations it does not model, naming them', async () => {
    const e = await errorOf(clients.sts().send(new GetSessionTokenCommand({})));
    expect(e.name).toBe('NotImplemented');
    expect(e.message).toContain('GetSessionToken');
  });

  it('answers SignatureDoesNotMatch (403) for a credential scoped to an unknown region', async () => {
    const res = await rawQuery(
      t.emu.endpoint,
      { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      { service: 'sts', region: 'x:y' },
    );
    expect(res.status).toBe(403);
    expect(res.text).toContain('<Code>SignatureDoesNotMatch</Code>');
  });
});
