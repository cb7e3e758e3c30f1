import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppStreamClient,
  AssociateFleetCommand,
  CreateImageBuilderStreamingURLCommand,
  CreateStreamingURLCommand,
  DescribeFleetsCommand,
  DescribeImageBuildersCommand,
  DescribeStacksCommand,
  ListTagsForResourceCommand,
  StartFleetCommand,
  StopImageBuilderCommand,
  TagResourceCommand,
} from '@aws-sdk/client-appstream';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { type EventEnvelope, startEmulator } from '../../../emulator';
import { accessKeyFor } from '../../../emulator/auth';
import { trailTimestamp } from '../../../emulator/events/cloudtrail';
import { createBuilder, createFleet, createStack, runningBuilder } from '../../helpers/builders';
import { ACCOUNT, MIN, OTHER_ACCOUNT, rawCall, useEmulator } from '../../helpers/emulator';
import { errorOf, queryClients } from '../../helpers/query';

/** A fixed virtual start and a clock that (practically) only moves when advanced. */
const START = Date.parse('2026-11-26T09:00:00Z');
const t = useEmulator({ start: START, speed: 1e-9 });
const sts = queryClients(t);
const extra: AppStreamClient[] = [];
afterAll(() => {
  for (const c of extra) c.destroy();
});

interface Page {
  events: EventEnvelope[];
  nextCursor: number;
  truncated: boolean;
  unknownCursor: boolean;
  oldestCursor: number;
}

async function events(query = '', endpoint = t.emu.endpoint): Promise<Page> {
  const res = await fetch(`${endpoint}/_emulator/events${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Page;
}

const names = (page: Page) => page.events.map((e) => e.detail.eventName);
const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/** An AppStream client with these credentials against the file's emulator (or another at `endpoint`). */
function clientWith(
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  endpoint = t.emu.endpoint,
) {
  const c = new AppStreamClient({
    endpoint,
    region: 'us-east-1',
    maxAttempts: 1,
    credentials,
  });
  extra.push(c);
  return c;
}

describe('Emulator: CloudTrail-shaped events of AppStream write calls', () => {
  it('logs CreateImageBuilder and CreateImageBuilderStreamingURL as full EventBridge envelopes on the virtual clock', async () => {
    // Prepare
    const client = t.client();
    const t0 = t.emu.world.now();
    // Act
    await createBuilder(client, 'b1', { Tags: { team: 'data' } });
    t.emu.control.advance(13 * MIN);
    const url = await client.send(new CreateImageBuilderStreamingURLCommand({ Name: 'b1', Validity: 600 }));
    // Assess
    const page = await events();
    expect(names(page)).toEqual(['CreateImageBuilder', 'CreateImageBuilderStreamingURL']);
    const [create, connect] = page.events;
    expect(create).toMatchObject({
      version: '0',
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.appstream',
      account: ACCOUNT,
      time: iso(t0),
      region: 'us-east-1',
      resources: [],
      detail: {
        eventVersion: '1.08',
        userIdentity: {
          type: 'Root',
          principalId: ACCOUNT,
          arn: `arn:aws:iam::${ACCOUNT}:root`,
          accountId: ACCOUNT,
          accessKeyId: ACCOUNT,
        },
        eventTime: iso(t0),
        eventSource: 'appstream.amazonaws.com',
        eventName: 'CreateImageBuilder',
        awsRegion: 'us-east-1',
        sourceIPAddress: '127.0.0.1',
        requestParameters: {
          name: 'b1',
          instanceType: 'stream.standard.medium',
          imageName: 'AppStream-WinServer2022-10-14-2025',
          tags: { team: 'data' },
        },
        responseElements: {
          imageBuilder: {
            name: 'b1',
            state: 'PENDING',
            arn: `arn:aws:appstream:us-east-1:${ACCOUNT}:image-builder/b1`,
            createdTime: trailTimestamp(t0 / 1000),
          },
        },
        readOnly: false,
        eventType: 'AwsApiCall',
        managementEvent: true,
        recipientAccountId: ACCOUNT,
        eventCategory: 'Management',
      },
    });
    expect(create.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(create.detail.eventID).toMatch(/^[0-9a-f-]{36}$/);
    expect(String(create.detail.userAgent)).toMatch(/^aws-sdk-js\//);
    expect(connect.time).toBe(iso(t0 + 13 * MIN));
    expect(connect.detail).toMatchObject({
      eventName: 'CreateImageBuilderStreamingURL',
      eventTime: iso(t0 + 13 * MIN),
      requestParameters: { name: 'b1', validity: 600 },
      responseElements: { streamingURL: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
      requestID: url.$metadata.requestId,
      readOnly: false,
    });
    expect(connect.detail).not.toHaveProperty('errorCode');
    expect(page.truncated).toBe(false);
  });

  it('logs nothing for Describe, List and Get calls', async () => {
    const client = t.client();
    await createBuilder(client);
    const before = (await events()).nextCursor;
    await client.send(new DescribeImageBuildersCommand({}));
    await client.send(new DescribeStacksCommand({}));
    await client.send(
      new ListTagsForResourceCommand({
        ResourceArn: `arn:aws:appstream:us-east-1:${ACCOUNT}:image-builder/b1`,
      }),
    );
    const after = await events(`?since=${before}`);
    expect(after.events).toEqual([]);
    expect(after.nextCursor).toBe(before);
  });

  it('logs failed write calls with errorCode and errorMessage, and no response', async () => {
    const client = t.client();
    await createBuilder(client);
    const before = (await events()).nextCursor;
    const e = (await errorOf(client.send(new StopImageBuilderCommand({ Name: 'b1' })))) as {
      message: string;
      $metadata: { requestId?: string };
    };
    const invalid = await rawCall(t.emu.endpoint, 'TagResource', { ResourceArn: 'x', Tags: {} });
    expect(invalid.json.__type).toBe('ValidationException');
    const page = await events(`?since=${before}`);
    expect(page.events.map((x) => [x.detail.eventName, x.detail.errorCode])).toEqual([
      ['StopImageBuilder', 'OperationNotPermittedException'],
      ['TagResource', 'ValidationException'],
    ]);
    const [stop, tag] = page.events;
    expect(stop.detail).toMatchObject({
      errorMessage: e.message,
      requestParameters: { name: 'b1' },
      responseElements: null,
      requestID: e.$metadata.requestId,
    });
    // A request refused before its input was understood is logged without its parameters.
    expect(tag.detail).toMatchObject({ requestParameters: null, responseElements: null });
  });

  it('logs nothing for calls whose caller is not known (no or unrecognized credentials)', async () => {
    await rawCall(t.emu.endpoint, 'CreateStack', { Name: 's1' }, { auth: false });
    await rawCall(
      t.emu.endpoint,
      'CreateStack',
      { Name: 's1' },
      { account: accessKeyFor(OTHER_ACCOUNT, true) },
    );
    expect((await events()).events).toEqual([]);
  });

  it('logs CreateStreamingURL with the stack, fleet and user, hiding the URL', async () => {
    const client = t.client();
    await createFleet(client);
    await client.send(new StartFleetCommand({ Name: 'f1' }));
    t.emu.control.advance(11 * MIN);
    expect((await client.send(new DescribeFleetsCommand({ Names: ['f1'] }))).Fleets?.[0].State).toBe(
      'RUNNING',
    );
    await createStack(client);
    await client.send(new AssociateFleetCommand({ FleetName: 'f1', StackName: 's1' }));
    await client.send(
      new CreateStreamingURLCommand({ StackName: 's1', FleetName: 'f1', UserId: 'alice', Validity: 300 }),
    );
    const last = (await events()).events.at(-1);
    expect(last?.detail).toMatchObject({
      eventName: 'CreateStreamingURL',
      requestParameters: { stackName: 's1', fleetName: 'f1', userId: 'alice', validity: 300 },
      responseElements: { streamingURL: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
    });
  });
});

describe('Emulator: events of faulted calls', () => {
  it('logs a call whose response was lost after the change (an "after" fault) as the successful call', async () => {
    const before = (await events()).nextCursor;
    t.emu.control.failCalls({ code: 'InternalFailure', operation: 'CreateStack', after: true });
    const res = await rawCall(t.emu.endpoint, 'CreateStack', { Name: 's1' });
    expect(res.status).toBe(500);
    // The stack was created: the event says so, once, without an error.
    const stacks = await t.client().send(new DescribeStacksCommand({}));
    expect(stacks.Stacks?.map((x) => x.Name)).toEqual(['s1']);
    const page = await events(`?since=${before}`);
    expect(page.events).toHaveLength(1);
    expect(page.events[0].detail).toMatchObject({
      eventName: 'CreateStack',
      requestParameters: { name: 's1' },
      responseElements: { stack: { name: 's1' } },
    });
    expect(page.events[0].detail).not.toHaveProperty('errorCode');
    // A fault before the call still logs the refused call.
    t.emu.control.failCalls({ code: 'InternalFailure', operation: 'CreateStack' });
    await rawCall(t.emu.endpoint, 'CreateStack', { Name: 's2' });
    expect((await events(`?since=${page.nextCursor}`)).events.map((e) => e.detail.errorCode)).toEqual([
      'InternalFailure',
    ]);
  });
});

describe('Emulator: event identities', () => {
  it('names an STS assumed role with its role and session, issued at the virtual time of AssumeRole', async () => {
    const role = `arn:aws:iam::${OTHER_ACCOUNT}:role/autopilot-cleanup`;
    const t0 = t.emu.world.now();
    const out = await sts.sts().send(new AssumeRoleCommand({ RoleArn: role, RoleSessionName: 'sweep-1' }));
    t.emu.control.advance(5 * MIN);
    const assumed = clientWith({
      accessKeyId: out.Credentials?.AccessKeyId as string,
      secretAccessKey: out.Credentials?.SecretAccessKey as string,
      sessionToken: out.Credentials?.SessionToken,
    });
    await createBuilder(assumed, 'mine');
    const page = await events(`?accountId=${OTHER_ACCOUNT}`);
    expect(page.events).toHaveLength(1);
    expect(page.events[0]).toMatchObject({ account: OTHER_ACCOUNT, time: iso(t0 + 5 * MIN) });
    expect(page.events[0].detail.userIdentity).toEqual({
      type: 'AssumedRole',
      principalId: out.AssumedRoleUser?.AssumedRoleId,
      arn: `arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/autopilot-cleanup/sweep-1`,
      accountId: OTHER_ACCOUNT,
      accessKeyId: out.Credentials?.AccessKeyId,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: out.AssumedRoleUser?.AssumedRoleId?.split(':')[0],
          arn: role,
          accountId: OTHER_ACCOUNT,
          userName: 'autopilot-cleanup',
        },
        attributes: { creationDate: iso(t0), mfaAuthenticated: 'false' },
      },
    });
  });

  it('names an IAM user for AKIA keys, as GetCallerIdentity does', async () => {
    const key = accessKeyFor(OTHER_ACCOUNT, false, 'ALIC');
    await createStack(t.client({ account: key }));
    const identity = (await events()).events[0].detail.userIdentity as Record<string, unknown>;
    expect(identity).toMatchObject({
      type: 'IAMUser',
      arn: `arn:aws:iam::${OTHER_ACCOUNT}:user/user-ALIC`,
      accountId: OTHER_ACCOUNT,
      accessKeyId: key,
      userName: 'user-ALIC',
    });
    expect(identity.principalId).toMatch(/^AIDA[A-Z2-7]{17}$/);
    const me = await sts.sts({ account: key }).send(new GetCallerIdentityCommand({}));
    expect([me.Arn, me.UserId, me.Account]).toEqual([identity.arn, identity.principalId, OTHER_ACCOUNT]);
  });
});

describe('Emulator: GET /_emulator/events', () => {
  it('filters by account and region', async () => {
    await createStack(t.client());
    await createStack(t.client({ region: 'eu-west-1' }));
    await createStack(t.client({ account: OTHER_ACCOUNT }));
    const scoped = (q: string) =>
      events(q).then((p) => p.events.map((e) => `${e.account}/${e.region}/${e.detail.awsRegion}`));
    expect(await scoped('')).toEqual([
      `${ACCOUNT}/us-east-1/us-east-1`,
      `${ACCOUNT}/eu-west-1/eu-west-1`,
      `${OTHER_ACCOUNT}/us-east-1/us-east-1`,
    ]);
    expect(await scoped(`?accountId=${ACCOUNT}`)).toEqual([
      `${ACCOUNT}/us-east-1/us-east-1`,
      `${ACCOUNT}/eu-west-1/eu-west-1`,
    ]);
    expect(await scoped('?region=us-east-1')).toEqual([
      `${ACCOUNT}/us-east-1/us-east-1`,
      `${OTHER_ACCOUNT}/us-east-1/us-east-1`,
    ]);
    expect(await scoped(`?accountId=${OTHER_ACCOUNT}&region=eu-west-1`)).toEqual([]);
  });

  it('pages with a monotonically increasing cursor, across resets too', async () => {
    const client = t.client();
    for (const name of ['s1', 's2', 's3', 's4', 's5']) await createStack(client, name);
    const first = await events('?limit=2');
    expect(first.events.map((e) => e.detail.requestParameters)).toEqual([{ name: 's1' }, { name: 's2' }]);
    const second = await events(`?since=${first.nextCursor}&limit=2`);
    const third = await events(`?since=${second.nextCursor}&limit=2`);
    expect([...names(second), ...names(third)]).toHaveLength(3);
    expect(third.nextCursor).toBeGreaterThan(second.nextCursor);
    expect((await events(`?since=${third.nextCursor}`)).events).toEqual([]);
    // Reset forgets the events but not the cursor: a cursor handed out before stays behind.
    t.emu.control.reset();
    await createStack(client, 'after');
    const after = await events(`?since=${third.nextCursor}`);
    expect(after.events.map((e) => e.detail.requestParameters)).toEqual([{ name: 'after' }]);
    expect(after.truncated).toBe(false);
    // A reader that had not caught up when the log was reset lost the events it had not read.
    const behind = await events(`?since=${first.nextCursor}`);
    expect(behind.events.map((e) => e.detail.requestParameters)).toEqual([{ name: 'after' }]);
    expect(behind.truncated).toBe(true);
  });

  it('says truncated for a cursor of an earlier emulator run, however many events the new run logged', async () => {
    const first = await startEmulator({ jitterSigma: 0 });
    let stale: number;
    try {
      const client = clientWith({ accessKeyId: ACCOUNT, secretAccessKey: 's' }, first.endpoint);
      await createStack(client, 'old');
      stale = (await events('', first.endpoint)).nextCursor;
    } finally {
      await first.stop();
    }
    // Restarted without its state file: the new run logs past the old cursor's position.
    const second = await startEmulator({ jitterSigma: 0 });
    try {
      const client = clientWith({ accessKeyId: ACCOUNT, secretAccessKey: 's' }, second.endpoint);
      for (const name of ['n1', 'n2', 'n3']) await createStack(client, name);
      const page = await events(`?since=${stale}`, second.endpoint);
      expect([page.truncated, page.unknownCursor]).toEqual([true, true]);
      expect(page.events.map((e) => e.detail.requestParameters)).toEqual([
        { name: 'n1' },
        { name: 'n2' },
        { name: 'n3' },
      ]);
      expect(page.nextCursor).toBeGreaterThan(stale);
      // Its own cursors (16 digits, within the route's bounds) read on without a gap.
      expect(await events(`?since=${page.nextCursor - 1}`, second.endpoint)).toMatchObject({
        truncated: false,
        events: [expect.objectContaining({ detail: expect.objectContaining({ eventName: 'CreateStack' }) })],
      });
    } finally {
      await second.stop();
    }
  });

  it('keeps at most totalRetention events over all accounts and regions', async () => {
    const emu = await startEmulator({ jitterSigma: 0, events: { totalRetention: 2 } });
    try {
      const key = { secretAccessKey: 's' };
      await createStack(clientWith({ accessKeyId: ACCOUNT, ...key }, emu.endpoint), 'a1');
      await createStack(clientWith({ accessKeyId: OTHER_ACCOUNT, ...key }, emu.endpoint), 'b1');
      await createStack(clientWith({ accessKeyId: ACCOUNT, ...key }, emu.endpoint), 'a2');
      const page = await events('?since=0', emu.endpoint);
      expect(
        page.events.map((e) => `${e.account}/${(e.detail.requestParameters as { name: string }).name}`),
      ).toEqual([`${OTHER_ACCOUNT}/b1`, `${ACCOUNT}/a2`]);
      expect(page.truncated).toBe(true);
      expect((await events(`?since=0&accountId=${OTHER_ACCOUNT}`, emu.endpoint)).truncated).toBe(false);
    } finally {
      await emu.stop();
    }
  });

  it('keeps the newest N events per account+region; an older cursor reads from the oldest kept, truncated', async () => {
    const emu = await startEmulator({ jitterSigma: 0, events: { retention: 3 } });
    try {
      const client = clientWith({ accessKeyId: ACCOUNT, secretAccessKey: 's' }, emu.endpoint);
      for (const name of ['s1', 's2', 's3', 's4', 's5']) await createStack(client, name);
      const page = await events('?since=0', emu.endpoint);
      expect(page.events.map((e) => e.detail.requestParameters)).toEqual([
        { name: 's3' },
        { name: 's4' },
        { name: 's5' },
      ]);
      // Cursors start at the log's base (see "a cursor of an earlier emulator run" below).
      const base = page.nextCursor - 5;
      expect(page).toMatchObject({ truncated: true, oldestCursor: base + 2, nextCursor: base + 5 });
      expect((await events(`?since=${base + 2}`, emu.endpoint)).truncated).toBe(false);
      // A cursor this log never issued (e.g. from an emulator restarted without its state file).
      const unknown = await events(`?since=${base + 99}`, emu.endpoint);
      expect([unknown.truncated, unknown.events.length, unknown.nextCursor]).toEqual([true, 3, base + 5]);
    } finally {
      await emu.stop();
    }
  });

  it('drops events older than 90 virtual days', async () => {
    await createStack(t.client());
    t.emu.control.advance(91 * 24 * 60 * MIN);
    await createStack(t.client(), 's2');
    const page = await events('?since=0');
    expect(page.events.map((e) => e.detail.requestParameters)).toEqual([{ name: 's2' }]);
    expect(page.truncated).toBe(true);
  });

  it.each([
    ['?since=abc', "'since': must be a whole number from 0 to"],
    ['?since=-1', "'since': must be a whole number"],
    ['?since=9007199254740992', "'since': must be a whole number from 0 to 9007199254740991"],
    ['?since=12345678901234567', "'since': must be a whole number from 0 to 9007199254740991"],
    ['?limit=0', "'limit': must be a whole number from 1 to 1000"],
    ['?limit=1001', "'limit': must be a whole number from 1 to 1000"],
    ['?accountId=1234', "'accountId': must be a 12-digit AWS account id"],
    ['?region=mars-1', "'region': must be a region where AppStream 2.0 runs"],
    ['?region=us-east-1&region=eu-west-1', "'region': Invalid input: expected string, received array"],
    ['?cursor=3', 'query: Unrecognized key: "cursor"'],
    ['?__proto__=1', 'query: Unrecognized key: "__proto__"'],
  ])('answers 400 naming the parameter for %s', async (query, message) => {
    const res = await fetch(`${t.emu.endpoint}/_emulator/events${query}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { __type: string; message: string };
    expect(body.__type).toBe('ValidationException');
    expect(body.message).toContain(message);
  });
});

describe('Emulator: onEvent', () => {
  it('hands listeners the same envelopes the log keeps, until unsubscribed; a failing listener fails nothing', async () => {
    const seen: EventEnvelope[] = [];
    const unsubscribe = t.emu.onEvent((e) => seen.push(e));
    const failing = t.emu.onEvent(() => {
      throw new Error('listener bug');
    });
    const client = t.client();
    await createStack(client);
    await client.send(
      new TagResourceCommand({
        ResourceArn: `arn:aws:appstream:us-east-1:${ACCOUNT}:stack/s1`,
        Tags: { a: 'b' },
      }),
    );
    unsubscribe();
    failing();
    await createStack(client, 's2');
    expect(seen.map((e) => e.detail.eventName)).toEqual(['CreateStack', 'TagResource']);
    expect((await events()).events.slice(0, 2)).toEqual(seen);
  });

  it('reports async listeners that reject (onEvent and onResponse) and keeps serving', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const offEvent = t.emu.onEvent(async () => {
      throw new Error('async recorder failed');
    });
    const offResponse = t.emu.onResponse(async () => {
      throw new Error('async response listener failed');
    });
    try {
      const res = await rawCall(t.emu.endpoint, 'CreateStack', { Name: 's1' });
      expect(res.status).toBe(200);
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
      const messages = error.mock.calls.map((c) => String(c[0]));
      expect(messages).toContain('[emulator] event listener failed:');
      expect(messages.some((m) => m.startsWith('[emulator] response listener failed'))).toBe(true);
      // The emulator still answers, and logged the call once.
      expect((await rawCall(t.emu.endpoint, 'DescribeStacks', {})).status).toBe(200);
      expect(names(await events())).toEqual(['CreateStack']);
    } finally {
      offEvent();
      offResponse();
      error.mockRestore();
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('tells every listener of an event when one unsubscribes itself while being told', async () => {
    const seen: string[] = [];
    const offFirst = t.emu.onEvent(() => {
      seen.push('first');
      offFirst();
    });
    const offSecond = t.emu.onEvent(() => {
      seen.push('second');
    });
    const responses: string[] = [];
    const offR1 = t.emu.onResponse(() => {
      responses.push('first');
      offR1();
    });
    const offR2 = t.emu.onResponse(() => {
      responses.push('second');
    });
    try {
      await createStack(t.client());
      await createStack(t.client(), 's2');
    } finally {
      offSecond();
      offR2();
    }
    expect(seen).toEqual(['first', 'second', 'second']);
    expect(responses).toEqual(['first', 'second', 'second']);
  });

  it('answers as usual when a response listener throws, and logs the call once', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const off = t.emu.onResponse(() => {
      throw new Error('listener bug');
    });
    try {
      const res = await rawCall(t.emu.endpoint, 'CreateStack', { Name: 's1' });
      expect(res.status).toBe(200);
    } finally {
      off();
      error.mockRestore();
    }
    expect((await events()).events.map((e) => [e.detail.eventName, e.detail.errorCode])).toEqual([
      ['CreateStack', undefined],
    ]);
  });
});

describe('Emulator: POST /_emulator/image-builders/connect', () => {
  it("logs the console's CreateImageBuilderStreamingURL for the user who connects", async () => {
    const client = t.client();
    const t0 = t.emu.world.now();
    await runningBuilder(t.emu, client);
    const seen: EventEnvelope[] = [];
    const off = t.emu.onEvent((e) => seen.push(e));
    const res = await fetch(`${t.emu.endpoint}/_emulator/image-builders/connect`, {
      method: 'POST',
      body: JSON.stringify({ name: 'b1', userArn: `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/jane` }),
    });
    off();
    expect(res.status).toBe(200);
    const out = (await res.json()) as Record<string, unknown>;
    expect(out.streamingURL).toMatch(/^https:\/\//);
    expect(seen).toHaveLength(1);
    expect(seen[0].id).toBe(out.eventId);
    expect(seen[0].detail).toMatchObject({
      eventName: 'CreateImageBuilderStreamingURL',
      eventTime: iso(t0 + 13 * MIN),
      userAgent: expect.stringMatching(/^Mozilla\/5\.0 /),
      sessionCredentialFromConsole: 'true',
      requestParameters: { name: 'b1' },
      requestID: out.requestId,
      userIdentity: {
        type: 'AssumedRole',
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/jane`,
        sessionContext: { sessionIssuer: { arn: `arn:aws:iam::${ACCOUNT}:role/Admin`, userName: 'Admin' } },
      },
    });
  });

  it('answers the API error for a builder that is not RUNNING, and logs the refused call', async () => {
    await createBuilder(t.client());
    const res = await fetch(`${t.emu.endpoint}/_emulator/image-builders/connect`, {
      method: 'POST',
      body: JSON.stringify({ name: 'b1', userArn: `arn:aws:iam::${ACCOUNT}:user/bob` }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { __type: string }).__type).toBe('OperationNotPermittedException');
    const last = (await events()).events.at(-1);
    expect(last?.detail).toMatchObject({
      errorCode: 'OperationNotPermittedException',
      userIdentity: { type: 'IAMUser', userName: 'bob' },
    });
  });

  it.each([
    [{ name: 'b1', userArn: 'bob' }, "'userArn': must be arn:aws:iam::"],
    [
      { name: 'b1', userArn: `arn:aws:iam::${OTHER_ACCOUNT}:user/bob` },
      `must be a principal of account ${ACCOUNT}`,
    ],
    [{ name: '' }, "'name'"],
    [{ name: 'b1', validity: 0 }, "'validity'"],
    [{ name: 'b1', extra: 1 }, 'Unrecognized key: "extra"'],
  ])('validates its body: %j', async (body, message) => {
    const res = await fetch(`${t.emu.endpoint}/_emulator/image-builders/connect`, {
      method: 'POST',
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain(message);
  });
});

describe('Emulator: events in the state file', () => {
  it('gives an STS key of an older state file (no issuedAt) one creationDate in every event', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'events-'));
    const stateFile = join(dir, 'state.json');
    try {
      const key = accessKeyFor(ACCOUNT, true, 'OLD1');
      const state = JSON.parse(JSON.stringify(t.emu.world.toJSON())) as Record<string, unknown>;
      state.now = START;
      state.issuedKeys = [
        {
          accessKeyId: key,
          account: ACCOUNT,
          arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Old/sess`,
          userId: 'AROAEXAMPLEOLD:sess',
          expiration: START + 2 * 3_600_000,
        },
      ];
      delete state.events;
      writeFileSync(stateFile, JSON.stringify(state));
      const emu = await startEmulator({ jitterSigma: 0, stateFile, speed: 1e-9 });
      try {
        const client = clientWith(
          { accessKeyId: key, secretAccessKey: 's', sessionToken: 't' },
          emu.endpoint,
        );
        await createStack(client, 's1');
        emu.control.advance(30 * MIN);
        await createStack(client, 's2');
        const page = await events('', emu.endpoint);
        const dates = page.events.map(
          (e) =>
            (e.detail.userIdentity as { sessionContext: { attributes: { creationDate: string } } })
              .sessionContext.attributes.creationDate,
        );
        // Issued no later than the saved clock (expiration less AssumeRole's default hour is later).
        expect(dates).toEqual([iso(START), iso(START)]);
      } finally {
        await emu.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('saves and loads the log with its cursor', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'events-'));
    const stateFile = join(dir, 'state.json');
    try {
      const first = await startEmulator({ jitterSigma: 0, stateFile });
      const client = clientWith({ accessKeyId: ACCOUNT, secretAccessKey: 's' }, first.endpoint);
      await createStack(client);
      const before = await events('', first.endpoint);
      await first.stop();
      const second = await startEmulator({ jitterSigma: 0, stateFile });
      try {
        const after = await events('', second.endpoint);
        expect(after.events).toEqual(before.events);
        expect(after.nextCursor).toBe(before.nextCursor);
        // The loaded log keeps its base: cursors of the saved run still read on, not truncated.
        await createStack(clientWith({ accessKeyId: ACCOUNT, secretAccessKey: 's' }, second.endpoint), 's2');
        const more = await events(`?since=${before.nextCursor}`, second.endpoint);
        expect([more.truncated, more.events.map((e) => e.detail.requestParameters)]).toEqual([
          false,
          [{ name: 's2' }],
        ]);
        second.control.reset();
        expect((await events('', second.endpoint)).events).toEqual([]);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
