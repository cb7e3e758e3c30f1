import {
  AssociateFleetCommand,
  DescribeFleetsCommand,
  DescribeSessionsCommand,
  ExpireSessionCommand,
  StartFleetCommand,
  StopFleetCommand,
  UpdateFleetCommand,
} from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import { createFleet, createStack } from '../../helpers/builders';
import { MIN, useEmulator } from '../../helpers/emulator';

const f = useEmulator();
type Client = ReturnType<typeof f.client>;

interface SessionsAnswer {
  opened: string[];
  closed: string[];
  refused: number;
  disconnected: string[];
  reconnected: string[];
  gone: string[];
}

/** The control API route, over HTTP as a test harness or the local runtime would call it. */
async function sessions(body: Record<string, unknown>): Promise<{ status: number; json: SessionsAnswer }> {
  const res = await fetch(`${f.emu.endpoint}/_emulator/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as SessionsAnswer };
}

const capacity = async (client: Client, name = 'f1') =>
  (await client.send(new DescribeFleetsCommand({ Names: [name] }))).Fleets![0].ComputeCapacityStatus!;

const sessionList = async (client: Client) =>
  (await client.send(new DescribeSessionsCommand({ StackName: 's1', FleetName: 'f1' }))).Sessions ?? [];

/** A RUNNING fleet f1 at full capacity, associated with stack s1. */
async function runningFleet(client: Client, extra: Record<string, unknown> = {}) {
  await createFleet(client, 'f1', extra);
  await createStack(client, 's1');
  await client.send(new AssociateFleetCommand({ FleetName: 'f1', StackName: 's1' }));
  await client.send(new StartFleetCommand({ Name: 'f1' }));
  f.emu.control.advance(15 * MIN);
}

describe('Emulator: user sessions and fleet capacity', () => {
  it('moves InUse and Available with the sessions opened and closed; opens what fits and refuses the rest', async () => {
    const client = f.client();
    await runningFleet(client, { ComputeCapacity: { DesiredInstances: 3 } });
    expect(await capacity(client)).toMatchObject({ Desired: 3, Running: 3, InUse: 0, Available: 3 });

    const first = await sessions({ fleet: 'f1', open: 2, userId: 'alice' });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ closed: [], refused: 0 });
    expect(first.json.opened).toHaveLength(2);
    expect(await capacity(client)).toMatchObject({ Running: 3, InUse: 2, Available: 1 });

    const more = await sessions({ fleet: 'f1', open: 3 });
    expect(more.json.opened).toHaveLength(1);
    expect(more.json.refused).toBe(2);
    expect(await capacity(client)).toMatchObject({ InUse: 3, Available: 0 });

    const closed = await sessions({ fleet: 'f1', close: 2 });
    expect(closed.json.closed).toEqual(first.json.opened);
    expect(await capacity(client)).toMatchObject({ InUse: 1, Available: 2 });
    expect((await sessionList(client)).map((s) => s.Id)).toEqual(more.json.opened);
  });

  it('works in process too, and ExpireSession frees the instance', async () => {
    const client = f.client();
    await runningFleet(client);
    const out = f.emu.control.sessions({ fleet: 'f1', open: 1, userId: 'bob' });
    expect(out.opened).toHaveLength(1);
    expect(await sessionList(client)).toEqual([
      expect.objectContaining({
        Id: out.opened[0],
        UserId: 'bob',
        State: 'ACTIVE',
        ConnectionState: 'CONNECTED',
      }),
    ]);
    await client.send(new ExpireSessionCommand({ SessionId: out.opened[0] }));
    expect(await capacity(client)).toMatchObject({ InUse: 0, Available: 2 });
  });

  it('refuses every session on a fleet that is not RUNNING', async () => {
    const client = f.client();
    await createFleet(client);
    await createStack(client, 's1');
    await client.send(new AssociateFleetCommand({ FleetName: 'f1', StackName: 's1' }));
    expect((await sessions({ fleet: 'f1', open: 2 })).json).toMatchObject({ opened: [], refused: 2 });
  });

  it('ends the sessions of a fleet that is stopped', async () => {
    const client = f.client();
    await runningFleet(client);
    await sessions({ fleet: 'f1', open: 2 });
    await client.send(new StopFleetCommand({ Name: 'f1' }));
    expect(await sessionList(client)).toEqual([]);
    expect(await capacity(client)).toMatchObject({ Running: 0, InUse: 0, Available: 0 });
    f.emu.control.advance(10 * MIN);
    expect(await capacity(client)).toMatchObject({ Running: 0, InUse: 0 });
  });

  it('keeps a disconnected session for DisconnectTimeoutInSeconds: the user can reconnect within it', async () => {
    const client = f.client();
    await runningFleet(client, { DisconnectTimeoutInSeconds: 600 });
    const [id] = (await sessions({ fleet: 'f1', open: 1 })).json.opened;

    expect((await sessions({ fleet: 'f1', disconnect: [id] })).json.disconnected).toEqual([id]);
    expect((await sessionList(client))[0]).toMatchObject({ Id: id, ConnectionState: 'NOT_CONNECTED' });
    expect(await capacity(client)).toMatchObject({ InUse: 1 });

    f.emu.control.advance(9 * MIN);
    expect((await sessions({ fleet: 'f1', reconnect: [id] })).json.reconnected).toEqual([id]);
    expect((await sessionList(client))[0]).toMatchObject({ Id: id, ConnectionState: 'CONNECTED' });

    // Connected again, the session outlives the timeout it was under.
    f.emu.control.advance(5 * MIN);
    expect(await sessionList(client)).toHaveLength(1);
  });

  it('ends a disconnected session after the timeout and frees its capacity', async () => {
    const client = f.client();
    await runningFleet(client, { DisconnectTimeoutInSeconds: 600 });
    const [id] = (await sessions({ fleet: 'f1', open: 1 })).json.opened;
    await sessions({ fleet: 'f1', disconnect: [id] });
    f.emu.control.advance(10 * MIN);
    expect(await sessionList(client)).toEqual([]);
    expect(await capacity(client)).toMatchObject({ Running: 2, InUse: 0, Available: 2 });
    expect((await sessions({ fleet: 'f1', reconnect: [id] })).json).toMatchObject({
      reconnected: [],
      gone: [id],
    });
  });

  it('ends a session at MaxUserDurationInSeconds', async () => {
    const client = f.client();
    await runningFleet(client, { MaxUserDurationInSeconds: 3600 });
    await sessions({ fleet: 'f1', open: 2 });
    f.emu.control.advance(59 * MIN);
    expect(await capacity(client)).toMatchObject({ InUse: 2 });
    f.emu.control.advance(1 * MIN);
    expect(await capacity(client)).toMatchObject({ InUse: 0, Available: 2 });
  });

  it('never cuts users off when capacity drops below InUse: Running stays at InUse until their sessions end', async () => {
    const client = f.client();
    await runningFleet(client, { ComputeCapacity: { DesiredInstances: 3 } });
    const { opened } = (await sessions({ fleet: 'f1', open: 3 })).json;
    await client.send(new UpdateFleetCommand({ Name: 'f1', ComputeCapacity: { DesiredInstances: 1 } }));
    f.emu.control.advance(10 * MIN);
    expect(await capacity(client)).toMatchObject({ Desired: 1, Running: 3, InUse: 3, Available: 0 });
    expect(await sessionList(client)).toHaveLength(3);

    await sessions({ fleet: 'f1', close: 2 });
    expect(await capacity(client)).toMatchObject({ Desired: 1, Running: 1, InUse: 1, Available: 0 });
    expect((await sessionList(client)).map((s) => s.Id)).toEqual([opened[2]]);
  });

  it('reports user-session capacity for multi-session fleets', async () => {
    const client = f.client();
    await runningFleet(client, {
      ComputeCapacity: { DesiredSessions: 8 },
      MaxSessionsPerInstance: 4,
    });
    expect(await capacity(client)).toMatchObject({
      Desired: 2,
      Running: 2,
      DesiredUserSessions: 8,
      ActualUserSessions: 8,
      ActiveUserSessions: 0,
      AvailableUserSessions: 8,
    });
    const out = await sessions({ fleet: 'f1', open: 5 });
    expect(out.json.opened).toHaveLength(5);
    // Sessions fill an instance before taking the next one.
    expect(await capacity(client)).toMatchObject({
      Running: 2,
      InUse: 2,
      Available: 0,
      ActiveUserSessions: 5,
      AvailableUserSessions: 3,
      ActualUserSessions: 8,
    });
    const listed = await sessionList(client);
    expect(new Set(listed.map((s) => s.InstanceId)).size).toBe(2);
    expect((await sessions({ fleet: 'f1', open: 4 })).json).toMatchObject({ refused: 1 });
  });

  it('runs Elastic fleets in sessions up to MaxConcurrentSessions, one network interface per session', async () => {
    const client = f.client();
    const net = f.emu.control.world.network('123456789012', 'us-east-1');
    const subnets = net.defaultSubnetIds().slice(0, 2);
    const before = net.freeIps(subnets[0]);
    await runningFleet(client, {
      FleetType: 'ELASTIC',
      ComputeCapacity: undefined,
      MaxConcurrentSessions: 2,
      Platform: 'WINDOWS_SERVER_2022',
      VpcConfig: { SubnetIds: subnets },
    });
    expect(await capacity(client)).toMatchObject({ Running: 0, InUse: 0, Available: 2 });
    const out = await sessions({ fleet: 'f1', open: 3 });
    expect(out.json).toMatchObject({ refused: 1 });
    expect(out.json.opened).toHaveLength(2);
    expect(await capacity(client)).toMatchObject({ Running: 2, InUse: 2, Available: 0 });
    expect(net.freeIps(subnets[0])).toBe(before - 2);
    await sessions({ fleet: 'f1', close: 2 });
    expect(net.freeIps(subnets[0])).toBe(before);
  });

  it('answers a bad sessions request with a 400 naming the field, and an unknown fleet as not found', async () => {
    const bad = await sessions({ fleet: 'f1', open: 'two' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toContain('open');
    const missing = await sessions({ fleet: 'nope', open: 1 });
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ __type: 'ResourceNotFoundException' });
  });
});
