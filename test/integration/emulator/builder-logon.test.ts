import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppStreamClient,
  DeleteImageBuilderCommand,
  StartImageBuilderCommand,
  StopImageBuilderCommand,
} from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import { EMULATOR_AGENT_BUCKET, type EventEnvelope, startEmulator } from '../../../emulator';
import { builderState, createBuilder, runningBuilder } from '../../helpers/builders';
import { ACCOUNT, MIN, OTHER_ACCOUNT, useEmulator } from '../../helpers/emulator';

/** A fixed virtual start and a clock that (practically) only moves when advanced. */
const START = Date.parse('2026-11-26T09:00:00Z');
const t = useEmulator({ start: START, speed: 1e-9 });

const HOUR = 60 * MIN;
const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
const keyOf = (name: string) => `autopilot-agent/${name}/presence/heartbeat.json`;

interface Page {
  events: EventEnvelope[];
  nextCursor: number;
}

async function post(path: string, body: unknown, endpoint = t.emu.endpoint) {
  const res = await fetch(`${endpoint}/_emulator/${path}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function logon(body: Record<string, unknown>, endpoint = t.emu.endpoint) {
  const res = await post('image-builders/logon', body, endpoint);
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return res.json;
}

async function advance(ms: number, endpoint = t.emu.endpoint) {
  const res = await post('clock', { advanceMs: ms }, endpoint);
  expect(res.status).toBe(200);
}

/** Every event logged since the start of the log (all pages), in the scope asked for. */
async function allEvents(query = '', endpoint = t.emu.endpoint): Promise<EventEnvelope[]> {
  const out: EventEnvelope[] = [];
  let since = 0;
  for (;;) {
    const res = await fetch(`${endpoint}/_emulator/events?since=${since}&limit=1000${query}`);
    expect(res.status).toBe(200);
    const page = (await res.json()) as Page;
    out.push(...page.events);
    if (page.events.length === 0 || page.nextCursor === since) return out;
    since = page.nextCursor;
  }
}

const heartbeats = (events: EventEnvelope[]) => events.filter((e) => e.source === 'aws.s3');
const times = (events: EventEnvelope[]) => heartbeats(events).map((e) => e.time);
/** Heartbeat times from `from`, every 5 minutes, `count` of them. */
const every5 = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => iso(from + i * 5 * MIN));

describe('Emulator: interactive logons on image builders write presence heartbeats', () => {
  it('logs an S3 "Object Created" event at logon and every 300 virtual seconds, each with its own time across a 3-hour jump', async () => {
    // Prepare
    await runningBuilder(t.emu, t.client());
    const loggedOnAt = t.emu.world.now();
    const heard: EventEnvelope[] = [];
    const off = t.emu.onEvent((e) => heard.push(e));
    // Act
    const out = await logon({ name: 'b1', minutes: 240 });
    await advance(3 * HOUR);
    off();
    // Assess
    expect(out).toMatchObject({
      name: 'b1',
      user: 'ImageBuilderAdmin',
      users: ['ImageBuilderAdmin'],
      until: loggedOnAt + 240 * MIN,
      nextHeartbeatAt: loggedOnAt + 5 * MIN,
    });
    const events = await allEvents();
    // 09:13 (logon) to 12:13 inclusive: 37 heartbeats, after the builder's CloudTrail event.
    expect(events[0].detail.eventName).toBe('CreateImageBuilder');
    expect(times(events)).toEqual(every5(loggedOnAt, 37));
    expect(heard.map((e) => e.id)).toEqual(heartbeats(events).map((e) => e.id));
    expect(heartbeats(events)[0].id).toBe((out.eventIds as string[])[0]);
    const [first] = heartbeats(events);
    expect(first).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'Object Created',
      source: 'aws.s3',
      account: ACCOUNT,
      time: iso(loggedOnAt),
      region: 'us-east-1',
      resources: [`arn:aws:s3:::${EMULATOR_AGENT_BUCKET}`],
      detail: {
        version: '0',
        bucket: { name: 'autopilot-agent-local' },
        object: {
          key: keyOf('b1'),
          size: expect.any(Number),
          etag: expect.stringMatching(/^[0-9a-f]{32}$/),
          sequencer: expect.stringMatching(/^[0-9A-F]{16}$/),
        },
        'request-id': expect.stringMatching(/^[0-9A-F]{16}$/),
        requester: ACCOUNT,
        'source-ip-address': expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/),
        reason: 'PutObject',
      },
    });
    // The object body is contract 1's JSON: its size is that of the body with this builder's name.
    const body = JSON.stringify({
      schemaVersion: 2,
      builderName: 'b1',
      agentVersion: '2.1.0',
      at: iso(loggedOnAt),
      users: 1,
    });
    expect(first.detail.object).toMatchObject({ size: Buffer.byteLength(body) });
    const sequencers = heartbeats(events).map((e) => (e.detail.object as { sequencer: string }).sequencer);
    expect([...sequencers].sort()).toEqual(sequencers);
  });

  it('stops writing when the logon’s minutes pass', async () => {
    await runningBuilder(t.emu, t.client());
    const loggedOnAt = t.emu.world.now();
    await logon({ name: 'b1', minutes: 12 });
    await advance(2 * HOUR);
    // At 0, 5 and 10 minutes; the logon ends at 12.
    expect(times(await allEvents())).toEqual(every5(loggedOnAt, 3));
    const again = await logon({ name: 'b1', minutes: 5 });
    // A new logon after the last one ended is seen at once.
    expect(again.eventIds).toHaveLength(1);
  });

  it('stops writing on logoff', async () => {
    await runningBuilder(t.emu, t.client());
    const loggedOnAt = t.emu.world.now();
    await logon({ name: 'b1' });
    await advance(11 * MIN);
    const out = await post('image-builders/logoff', { name: 'b1' });
    await advance(3 * HOUR);
    expect(out).toEqual({
      status: 200,
      json: { name: 'b1', loggedOff: ['ImageBuilderAdmin'], users: [] },
    });
    expect(times(await allEvents())).toEqual(every5(loggedOnAt, 3));
    // Logging off again: nobody is logged on, which is not an error.
    expect((await post('image-builders/logoff', { name: 'b1' })).json).toMatchObject({ loggedOff: [] });
  });

  it('keeps writing while one of two users is still logged on, on one schedule', async () => {
    await runningBuilder(t.emu, t.client());
    const loggedOnAt = t.emu.world.now();
    await logon({ name: 'b1', user: 'ImageBuilderAdmin', minutes: 30 });
    await advance(2 * MIN);
    const second = await logon({ name: 'b1', user: 'CORP\\jane', minutes: 60 });
    // Jane joins the running schedule: no extra heartbeat.
    expect(second).toMatchObject({ users: ['ImageBuilderAdmin', 'CORP\\jane'], eventIds: [] });
    const off = await post('image-builders/logoff', { name: 'b1', user: 'ImageBuilderAdmin' });
    expect(off.json).toMatchObject({ loggedOff: ['ImageBuilderAdmin'], users: ['CORP\\jane'] });
    await advance(3 * HOUR);
    // Jane's logon ends 62 minutes after the first one: heartbeats at 0, 5, ..., 60.
    expect(times(await allEvents())).toEqual(every5(loggedOnAt, 13));
  });

  it('stops writing when the builder is stopped, and does not resume when it starts again', async () => {
    const client = t.client();
    await runningBuilder(t.emu, client);
    const loggedOnAt = t.emu.world.now();
    await logon({ name: 'b1', minutes: 600 });
    await advance(7 * MIN);
    await client.send(new StopImageBuilderCommand({ Name: 'b1' }));
    await advance(2 * HOUR);
    expect(await builderState(client)).toBe('STOPPED');
    await client.send(new StartImageBuilderCommand({ Name: 'b1' }));
    await advance(2 * HOUR);
    expect(await builderState(client)).toBe('RUNNING');
    const events = await allEvents();
    expect(times(events)).toEqual(every5(loggedOnAt, 2));
    // The heartbeats come before the StopImageBuilder call in the log, as they happened.
    const order = events.map((e) => (e.source === 'aws.s3' ? 'heartbeat' : e.detail.eventName));
    expect(order).toEqual([
      'CreateImageBuilder',
      'heartbeat',
      'heartbeat',
      'StopImageBuilder',
      'StartImageBuilder',
    ]);
  });

  it('stops writing when the builder is deleted, also for a builder created again under its name', async () => {
    const client = t.client();
    await runningBuilder(t.emu, client);
    await logon({ name: 'b1', minutes: 600 });
    await client.send(new StopImageBuilderCommand({ Name: 'b1' }));
    await advance(10 * MIN);
    await client.send(new DeleteImageBuilderCommand({ Name: 'b1' }));
    await advance(10 * MIN);
    await runningBuilder(t.emu, client);
    await advance(HOUR);
    expect(times(await allEvents())).toHaveLength(1);
    expect(t.emu.world.logons.size).toBe(0);
  });

  it("puts each heartbeat in the builder's account and region, filtered like the CloudTrail events", async () => {
    await runningBuilder(t.emu, t.client());
    await runningBuilder(t.emu, t.client({ account: OTHER_ACCOUNT, region: 'eu-west-1' }), 'b2');
    const inProcess = t.emu.control.logonImageBuilder({ name: 'b1', minutes: 10 });
    await logon({ name: 'b2', accountId: OTHER_ACCOUNT, region: 'eu-west-1', minutes: 10 });
    await advance(HOUR);
    expect(inProcess.eventIds).toHaveLength(1);
    const mine = heartbeats(await allEvents(`&accountId=${ACCOUNT}&region=us-east-1`));
    const theirs = heartbeats(await allEvents(`&accountId=${OTHER_ACCOUNT}&region=eu-west-1`));
    expect(mine.map((e) => [e.account, e.region, (e.detail.object as { key: string }).key])).toEqual([
      [ACCOUNT, 'us-east-1', keyOf('b1')],
      [ACCOUNT, 'us-east-1', keyOf('b1')],
    ]);
    expect(theirs.map((e) => [e.account, e.region, (e.detail.object as { key: string }).key])).toEqual([
      [OTHER_ACCOUNT, 'eu-west-1', keyOf('b2')],
      [OTHER_ACCOUNT, 'eu-west-1', keyOf('b2')],
    ]);
    expect(t.emu.control.logoffImageBuilder({ name: 'b1' }).loggedOff).toEqual([]);
    expect(() => t.emu.control.logonImageBuilder({ name: 'b1', minutes: 0 })).toThrow(/'minutes'/);
  });
});

describe('Emulator: POST /_emulator/image-builders/logon and /logoff refuse what cannot be', () => {
  it('answers ResourceNotFoundException for a builder that does not exist', async () => {
    for (const path of ['image-builders/logon', 'image-builders/logoff']) {
      const res = await post(path, { name: 'nope' });
      expect(res.status).toBe(400);
      expect(res.json).toEqual({
        __type: 'ResourceNotFoundException',
        message: "The image builder 'nope' can't be found.",
      });
    }
  });

  it('answers OperationNotPermittedException for a builder that is not RUNNING, and logs nothing', async () => {
    await createBuilder(t.client());
    const res = await post('image-builders/logon', { name: 'b1' });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      __type: 'OperationNotPermittedException',
      message: "Cannot log on to image builder 'b1' in state PENDING: it must be RUNNING.",
    });
    expect(heartbeats(await allEvents())).toEqual([]);
  });

  it.each([
    [{}, "'name': Invalid input"],
    [{ name: '' }, "'name'"],
    [{ name: 'b1', minutes: 0 }, "'minutes'"],
    [{ name: 'b1', minutes: 1.5 }, "'minutes'"],
    [{ name: 'b1', minutes: '60' }, "'minutes'"],
    [{ name: 'b1', minutes: 10_081 }, "'minutes'"],
    [{ name: 'b1', user: 'a b' }, "'user': must be a user name"],
    [{ name: 'b1', accountId: '12' }, "'accountId': must be a 12-digit AWS account id"],
    [{ name: 'b1', region: 'mars-1' }, "'region'"],
    [{ name: 'b1', extra: 1 }, 'Unrecognized key: "extra"'],
  ])('validates the logon body: %j', async (body, message) => {
    const res = await post('image-builders/logon', body);
    expect(res.status).toBe(400);
    expect(res.json.__type).toBe('ValidationException');
    expect(res.json.message).toContain(message);
  });

  it.each([
    [{ name: 'b1', minutes: 5 }, 'Unrecognized key: "minutes"'],
    [{ name: 'b1', user: '' }, "'user'"],
  ])('validates the logoff body: %j', async (body, message) => {
    const res = await post('image-builders/logoff', body);
    expect(res.status).toBe(400);
    expect(res.json.message).toContain(message);
  });
});

describe('Emulator: logons in the state file', () => {
  it('keeps a logon across a restart from the state file, and its heartbeats continue on the saved clock', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logon-'));
    const stateFile = join(dir, 'state.json');
    try {
      const first = await startEmulator({ start: START, speed: 1e-9, jitterSigma: 0, stateFile });
      const c = new AppStreamClient({
        endpoint: first.endpoint,
        region: 'us-east-1',
        maxAttempts: 1,
        credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'secret' },
      });
      await runningBuilder(first, c);
      c.destroy();
      const loggedOnAt = first.world.now();
      await logon({ name: 'b1', minutes: 30 }, first.endpoint);
      await advance(6 * MIN, first.endpoint);
      await first.stop();
      const second = await startEmulator({ speed: 1e-9, jitterSigma: 0, stateFile });
      try {
        await advance(HOUR, second.endpoint);
        expect(times(await allEvents('', second.endpoint))).toEqual(every5(loggedOnAt, 6));
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
