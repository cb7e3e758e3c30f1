import {
  type AppStreamClient,
  DeleteImageBuilderCommand,
  ListTagsForResourceCommand,
  StopImageBuilderCommand,
} from '@aws-sdk/client-appstream';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator';
import { isoMinute, parseLastConnection } from '../../lib/cleanup/marks';
import { builderArn } from '../../lib/cleanup/recorder';
import { TAG } from '../../lib/tags';
import {
  catchUpConnections,
  memoryCursorStore,
  recorderLocalDeps,
  scopesOf,
} from '../../local/cleanup-events';
import { createBuilder, runningBuilder } from '../helpers/builders';
import { ACCOUNT, MIN, OTHER_ACCOUNT, useEmulator } from '../helpers/emulator';

/** A fixed virtual start and a clock that (practically) only moves when advanced. */
const START = Date.parse('2026-11-26T09:00:00Z');
const t = useEmulator({ start: START, speed: 1e-9 });

const made: { destroy(): void }[] = [];
afterEach(() => {
  for (const c of made.splice(0)) c.destroy();
});

function deps(opts: Parameters<typeof recorderLocalDeps>[1] = {}, endpoint = t.emu.endpoint) {
  const d = recorderLocalDeps(endpoint, { maxAttempts: 1, now: () => t.emu.world.now(), ...opts });
  made.push({
    destroy: () => {
      for (const c of d.clients) c.destroy();
    },
  });
  return d;
}

/** The AppStream console's "Connect" on a builder, as `userArn` (the emulator's control route). */
async function consoleConnect(name: string, extra: Record<string, unknown> = {}, endpoint = t.emu.endpoint) {
  const res = await fetch(`${endpoint}/_emulator/image-builders/connect`, {
    method: 'POST',
    body: JSON.stringify({ name, userArn: `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/jane`, ...extra }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function tagsOf(client: AppStreamClient, name: string, account = ACCOUNT, region = 'us-east-1') {
  const out = await client.send(
    new ListTagsForResourceCommand({ ResourceArn: builderArn(account, region, name) }),
  );
  return out.Tags ?? {};
}

/** The connection part of the builder's TAG.lastConnection (the creation adds `started@` beside it). */
async function lastConnection(
  client: AppStreamClient,
  name: string,
  account = ACCOUNT,
  region = 'us-east-1',
) {
  const at = parseLastConnection(
    (await tagsOf(client, name, account, region))[TAG.lastConnection],
  )?.connectedAt;
  return at === undefined ? undefined : isoMinute(at);
}

describe('Cleanup recorder, local delivery: catch-up from the emulator’s event log', () => {
  it('records a console connect as the builder’s last connection, at the event’s virtual time', async () => {
    // Prepare
    const client = t.client();
    const t0 = t.emu.world.now();
    await runningBuilder(t.emu, client, 'b1');
    t.emu.control.advance(7 * MIN);
    const connect = await consoleConnect('b1');
    expect(connect.status).toBe(200);
    const cursors = memoryCursorStore();
    // Act
    const summary = await catchUpConnections(t.emu, cursors, deps());
    // Assess: the creation (started@, creator) and the connection
    expect(summary).toMatchObject({
      delivered: 2,
      recorded: 2,
      unchanged: 0,
      skipped: 0,
      failed: 0,
      truncated: false,
    });
    expect(summary.notes).toEqual([]);
    expect(summary.results[1]).toMatchObject({
      builder: 'b1',
      account: ACCOUNT,
      region: 'us-east-1',
      eventId: connect.body.eventId,
    });
    // The emulator signs with the account id as access key: the root user created it.
    expect(summary.results[0].reason).toBe(`start ${isoMinute(t0)}; creator arn:aws:iam::${ACCOUNT}:root`);
    const tags = await tagsOf(client, 'b1');
    expect(tags[TAG.creator]).toBe(`arn:aws:iam::${ACCOUNT}:root`);
    expect(parseLastConnection(tags[TAG.lastConnection])?.startedAt).toBe(Date.parse(isoMinute(t0)));
    const logged = t.emu.control.events({ limit: 1000 }).events.find((e) => e.id === connect.body.eventId);
    const eventTime = String(logged?.detail.eventTime);
    expect(Date.parse(eventTime)).toBe(t0 + 20 * MIN);
    expect(await lastConnection(client, 'b1')).toBe(isoMinute(Date.parse(eventTime)));
    expect(cursors.cursors['*/*']).toBe(summary.scopes[0].cursor);
  });

  it('records nothing new on a second catch-up, and only what is new after that', async () => {
    const client = t.client();
    const t0 = t.emu.world.now();
    await runningBuilder(t.emu, client, 'b1');
    await consoleConnect('b1');
    const cursors = memoryCursorStore();
    await catchUpConnections(t.emu, cursors, deps());
    // Act: nothing happened since
    const second = await catchUpConnections(t.emu, cursors, deps());
    // Assess
    expect(second).toMatchObject({ delivered: 0, recorded: 0, truncated: false });
    t.emu.control.advance(90 * MIN);
    await consoleConnect('b1');
    const third = await catchUpConnections(t.emu, cursors, deps());
    expect(third).toMatchObject({ delivered: 1, recorded: 1 });
    expect(await lastConnection(client, 'b1')).toBe(isoMinute(t0 + 103 * MIN));
  });

  it('delivers again from the start without a cursor and changes nothing (at least once, idempotent)', async () => {
    const client = t.client();
    const t0 = t.emu.world.now();
    await runningBuilder(t.emu, client, 'b1');
    await consoleConnect('b1');
    t.emu.control.advance(30 * MIN);
    await consoleConnect('b1');
    await catchUpConnections(t.emu, memoryCursorStore(), deps());
    const again = await catchUpConnections(t.emu, memoryCursorStore(), deps());
    expect(again).toMatchObject({ delivered: 3, recorded: 0, unchanged: 3 });
    expect(await lastConnection(client, 'b1')).toBe(isoMinute(t0 + 43 * MIN));
  });

  it('skips a refused connect (builder not RUNNING) and a builder deleted before delivery', async () => {
    const client = t.client();
    await createBuilder(client, 'pending');
    expect((await consoleConnect('pending')).status).toBe(400);
    await runningBuilder(t.emu, client, 'gone');
    await consoleConnect('gone');
    await client.send(new StopImageBuilderCommand({ Name: 'gone' }));
    t.emu.control.advance(4 * MIN);
    await client.send(new DeleteImageBuilderCommand({ Name: 'gone' }));
    t.emu.control.advance(2 * MIN);
    // Act
    const summary = await catchUpConnections(t.emu, memoryCursorStore(), deps());
    // Assess
    expect(summary).toMatchObject({ delivered: 4, recorded: 1, skipped: 3, failed: 0 });
    expect(summary.results.map((r) => [r.builder, r.action, r.reason])).toEqual([
      ['pending', 'recorded', expect.stringMatching(/^start .*; creator /)],
      [
        'pending',
        'skipped',
        'CreateImageBuilderStreamingURL failed (OperationNotPermittedException): not a connection',
      ],
      ['gone', 'skipped', `builder gone no longer exists in ${ACCOUNT}/us-east-1`],
      ['gone', 'skipped', `builder gone no longer exists in ${ACCOUNT}/us-east-1`],
    ]);
  });

  it('stops a scope at a transient error without losing the event: the next run records it', async () => {
    const client = t.client();
    await runningBuilder(t.emu, client, 'b1');
    await consoleConnect('b1');
    t.emu.control.failCalls({ operation: 'ListTagsForResource', code: 'ThrottlingException', count: 1 });
    const cursors = memoryCursorStore();
    // Act
    const first = await catchUpConnections(t.emu, cursors, deps());
    // Assess
    expect(first).toMatchObject({ delivered: 0, recorded: 0 });
    expect(first.scopes[0].retryLater).toMatch(/^AwsTransientError: .*ThrottlingException/);
    expect(first.notes[0]).toMatch(/\*\/\*: stopped, read again next run/);
    expect(cursors.cursors['*/*']).toBeUndefined();
    const second = await catchUpConnections(t.emu, cursors, deps());
    expect(second).toMatchObject({ delivered: 2, recorded: 2 });
  });

  it('acts in another account through its role (STS AssumeRole in the emulator), per account and region', async () => {
    const t0 = t.emu.world.now();
    const home = t.client();
    const other = t.client({ account: OTHER_ACCOUNT });
    await runningBuilder(t.emu, home, 'mine');
    await runningBuilder(t.emu, other, 'theirs');
    await consoleConnect('mine');
    await consoleConnect('theirs', {
      accountId: OTHER_ACCOUNT,
      userArn: `arn:aws:iam::${OTHER_ACCOUNT}:user/bob`,
    });
    const roleArn = `arn:aws:iam::${OTHER_ACCOUNT}:role/autopilot-cleanup`;
    // Act
    const summary = await catchUpConnections(
      t.emu,
      memoryCursorStore(),
      deps({ roles: { [OTHER_ACCOUNT]: roleArn } }),
      {
        scopes: scopesOf([ACCOUNT, OTHER_ACCOUNT], ['us-east-1', 'eu-west-1']),
      },
    );
    // Assess
    expect(summary.scopes.map((s) => [s.scope, s.delivered, s.recorded])).toEqual([
      [`${ACCOUNT}/us-east-1`, 2, 2],
      [`${ACCOUNT}/eu-west-1`, 0, 0],
      [`${OTHER_ACCOUNT}/us-east-1`, 2, 2],
      [`${OTHER_ACCOUNT}/eu-west-1`, 0, 0],
    ]);
    expect(await lastConnection(other, 'theirs', OTHER_ACCOUNT)).toBe(isoMinute(t0 + 26 * MIN));
    const tagged = t.emu.control
      .events({ accountId: OTHER_ACCOUNT, limit: 1000 })
      .events.find((e) => e.detail.eventName === 'TagResource');
    expect(tagged?.detail.userIdentity).toMatchObject({
      type: 'AssumedRole',
      arn: expect.stringContaining('autopilot-cleanup'),
    });
  });

  it('reports an event of an account it has no way into as failed, and moves on', async () => {
    const other = t.client({ account: OTHER_ACCOUNT });
    await runningBuilder(t.emu, other, 'theirs');
    await consoleConnect('theirs', {
      accountId: OTHER_ACCOUNT,
      userArn: `arn:aws:iam::${OTHER_ACCOUNT}:root`,
    });
    const cursors = memoryCursorStore();
    const summary = await catchUpConnections(t.emu, cursors, deps());
    expect(summary).toMatchObject({ delivered: 2, failed: 2 });
    expect(summary.scopes[0].failed[0]).toMatchObject({
      error: 'ConfigError',
      message: expect.stringContaining(OTHER_ACCOUNT),
    });
    expect(summary.notes[0]).toContain('not recorded: ConfigError');
    expect(cursors.cursors['*/*']).toBe(summary.scopes[0].cursor);
  });

  it("records the builder agent's presence heartbeats (S3 events of the agent bucket) as presence@ their time", async () => {
    const client = t.client();
    await runningBuilder(t.emu, client, 'b1');
    const cursors = memoryCursorStore();
    await catchUpConnections(t.emu, cursors, deps());
    const logon = t.emu.control.logonImageBuilder({ name: 'b1', minutes: 30 });
    // Heartbeats at the logon and every 5 virtual minutes: the last one before the catch-up governs.
    t.emu.control.advance(12 * MIN);
    const summary = await catchUpConnections(t.emu, cursors, deps());
    expect(summary).toMatchObject({ delivered: 3, recorded: 3, skipped: 0, failed: 0 });
    const presence = parseLastConnection((await tagsOf(client, 'b1'))[TAG.lastConnection])?.presenceAt;
    const last = logon.nextHeartbeatAt + 5 * MIN;
    expect(presence).toBe(Date.parse(isoMinute(last)));
    // Another bucket's events are not the recorder's: not delivered (the rule names the bucket).
    const elsewhere = await catchUpConnections(t.emu, memoryCursorStore(), deps(), {
      agent: { bucket: 'some-other-bucket', prefix: 'autopilot-agent' },
    });
    expect(elsewhere.delivered).toBe(1);
  });

  it('reads the log in pages', async () => {
    const client = t.client();
    const t0 = t.emu.world.now();
    await runningBuilder(t.emu, client, 'b1');
    for (let i = 0; i < 5; i++) {
      t.emu.control.advance(MIN);
      await consoleConnect('b1');
    }
    const summary = await catchUpConnections(t.emu, memoryCursorStore(), deps(), { pageSize: 2 });
    expect(summary).toMatchObject({ delivered: 6, recorded: 6 });
    expect(await lastConnection(client, 'b1')).toBe(isoMinute(t0 + 18 * MIN));
  });
});

describe('Cleanup recorder, local delivery: an emulator started separately (HTTP only)', () => {
  const started: { stop(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const e of started) await e.stop();
  });

  it('catches up over HTTP and says when events were lost to the log’s retention', async () => {
    // Prepare: only the endpoint is used from here on
    const emu = await startEmulator({ start: START, speed: 1e-9, jitterSigma: 0, events: { retention: 3 } });
    started.push(emu);
    const endpoint = emu.endpoint;
    const d = deps({ now: undefined }, endpoint);
    const client = d.appstream(ACCOUNT, 'us-east-1');
    await createBuilder(client, 'b1');
    await fetch(`${endpoint}/_emulator/clock`, {
      method: 'POST',
      body: JSON.stringify({ advanceMs: 13 * MIN }),
    });
    expect((await consoleConnect('b1', {}, endpoint)).status).toBe(200);
    const cursors = memoryCursorStore();
    // Act
    const first = await catchUpConnections(endpoint, cursors, d);
    // Assess
    expect(first).toMatchObject({ delivered: 2, recorded: 2, truncated: false });
    expect(await lastConnection(client, 'b1')).toBe('2026-11-26T09:13Z');

    // More events than the log keeps (3 per account+region) before the next catch-up.
    for (let i = 0; i < 4; i++) await consoleConnect('b1', {}, endpoint);
    const second = await catchUpConnections(endpoint, cursors, d);
    expect(second.truncated).toBe(true);
    expect(second.scopes[0].lost).toMatch(/dropped by the log's retention/);
    expect(second.notes[0]).toMatch(/^\*\/\*: events lost: /);
    expect(second.delivered).toBe(3);
  });

  it('says so when the stored cursor belongs to another emulator run, and reads from the oldest kept', async () => {
    const emu = await startEmulator({ start: START, speed: 1e-9, jitterSigma: 0 });
    started.push(emu);
    const d = deps({ now: undefined }, emu.endpoint);
    await createBuilder(d.appstream(ACCOUNT, 'us-east-1'), 'b1');
    await fetch(`${emu.endpoint}/_emulator/clock`, {
      method: 'POST',
      body: JSON.stringify({ advanceMs: 13 * MIN }),
    });
    await consoleConnect('b1', {}, emu.endpoint);
    const cursors = memoryCursorStore({ '*/*': 1_000_000 });
    const summary = await catchUpConnections(emu.endpoint, cursors, d);
    expect(summary).toMatchObject({ truncated: true, delivered: 2, recorded: 2 });
    expect(summary.scopes[0].lost).toMatch(/cursor 1000000 is unknown to this emulator/);
    // The next catch-up goes on from this emulator's own cursor, past the event just read.
    expect(cursors.cursors['*/*']).not.toBe(1_000_000);
    expect((await catchUpConnections(emu.endpoint, cursors, d)).delivered).toBe(0);
  });

  it('reports an unreachable event log as a scope to read again, not a crash', async () => {
    const summary = await catchUpConnections('http://127.0.0.1:9', memoryCursorStore(), deps());
    expect(summary.scopes[0].retryLater).toMatch(/^event log unreadable/);
    expect(summary.delivered).toBe(0);
  });
});
