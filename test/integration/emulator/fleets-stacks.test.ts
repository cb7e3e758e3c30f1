import {
  AssociateFleetCommand,
  ConcurrentModificationException,
  CreateStreamingURLCommand,
  DeleteFleetCommand,
  DeleteStackCommand,
  DescribeFleetsCommand,
  DescribeSessionsCommand,
  DescribeStacksCommand,
  DisassociateFleetCommand,
  ExpireSessionCommand,
  InvalidParameterCombinationException,
  LimitExceededException,
  ListAssociatedFleetsCommand,
  ListAssociatedStacksCommand,
  OperationNotPermittedException,
  ResourceInUseException,
  ResourceNotAvailableException,
  StartFleetCommand,
  StopFleetCommand,
  UpdateFleetCommand,
  UpdateStackCommand,
  waitUntilFleetStarted,
} from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import { createFleet, createStack, privateImage } from '../../helpers/builders';
import { MIN, useEmulator } from '../../helpers/emulator';

const f = useEmulator();

const fleetOf = async (client: ReturnType<typeof f.client>, name = 'f1') =>
  (await client.send(new DescribeFleetsCommand({ Names: [name] }))).Fleets![0];

async function runningFleet(client: ReturnType<typeof f.client>, name = 'f1') {
  await createFleet(client, name);
  await client.send(new StartFleetCommand({ Name: name }));
  f.emu.control.advance(10 * MIN + 5 * MIN);
}

describe('Emulator: fleets', () => {
  it('creates a STOPPED fleet, starts it (STARTING → RUNNING) and ramps capacity toward desired', async () => {
    const client = f.client();
    const created = await createFleet(client);
    expect(created).toMatchObject({
      State: 'STOPPED',
      FleetType: 'ON_DEMAND',
      ComputeCapacityStatus: { Desired: 2 },
    });
    await client.send(new StartFleetCommand({ Name: 'f1' }));
    expect((await fleetOf(client)).State).toBe('STARTING');
    f.emu.control.advance(10 * MIN);
    const running = await fleetOf(client);
    expect(running.State).toBe('RUNNING');
    expect(running.ComputeCapacityStatus!.Running).toBe(0);
    f.emu.control.advance(5 * MIN);
    expect((await fleetOf(client)).ComputeCapacityStatus).toMatchObject({
      Desired: 2,
      Running: 2,
      Available: 2,
      InUse: 0,
    });
  });

  it('works with the SDK waiter waitUntilFleetStarted', async () => {
    const client = f.client();
    await createFleet(client);
    await client.send(new StartFleetCommand({ Name: 'f1' }));
    f.emu.control.advance(11 * MIN);
    const result = await waitUntilFleetStarted({ client, maxWaitTime: 5, minDelay: 1 }, { Names: ['f1'] });
    expect(result.state).toBe('SUCCESS');
  });

  it('lets a RUNNING fleet change only display name, capacity, image and timeouts', async () => {
    const client = f.client();
    f.emu.control.setQuotas({ streamingInstances: 10 });
    await runningFleet(client);
    const updated = await client.send(
      new UpdateFleetCommand({ Name: 'f1', DisplayName: 'Office', ComputeCapacity: { DesiredInstances: 6 } }),
    );
    expect(updated.Fleet).toMatchObject({
      DisplayName: 'Office',
      ComputeCapacityStatus: { Desired: 6, Running: 2 },
    });
    f.emu.control.advance(5 * MIN);
    expect((await fleetOf(client)).ComputeCapacityStatus!.Running).toBe(6);
    await expect(
      client.send(new UpdateFleetCommand({ Name: 'f1', InstanceType: 'stream.standard.large' })),
    ).rejects.toThrow(
      expect.objectContaining({
        name: 'OperationNotPermittedException',
        message: expect.stringContaining('InstanceType'),
      }),
    );
    // Nothing was half-applied by the refused update.
    expect((await fleetOf(client)).InstanceType).toBe('stream.standard.medium');
  });

  it('lets a STOPPED fleet change anything but its name; refuses edits while STARTING', async () => {
    const client = f.client();
    await createFleet(client);
    const out = await client.send(
      new UpdateFleetCommand({
        Name: 'f1',
        InstanceType: 'stream.compute.large',
        MaxUserDurationInSeconds: 7200,
      }),
    );
    expect(out.Fleet).toMatchObject({ InstanceType: 'stream.compute.large', MaxUserDurationInSeconds: 7200 });
    await client.send(new StartFleetCommand({ Name: 'f1' }));
    await expect(
      client.send(new UpdateFleetCommand({ Name: 'f1', DisplayName: 'x' })),
    ).rejects.toBeInstanceOf(ConcurrentModificationException);
  });

  it('rolls a RUNNING fleet to a new private image', async () => {
    const client = f.client();
    await privateImage(f.emu, client, 'img2');
    await runningFleet(client);
    const out = await client.send(new UpdateFleetCommand({ Name: 'f1', ImageName: 'img2' }));
    expect(out.Fleet).toMatchObject({ ImageName: 'img2', ImageArn: expect.stringMatching(/:image\/img2$/) });
  });

  it('deletes only STOPPED fleets that no stack uses', async () => {
    const client = f.client();
    await runningFleet(client);
    await createStack(client);
    await client.send(new AssociateFleetCommand({ FleetName: 'f1', StackName: 's1' }));
    await expect(client.send(new DeleteFleetCommand({ Name: 'f1' }))).rejects.toBeInstanceOf(
      ResourceInUseException,
    );
    await client.send(new StopFleetCommand({ Name: 'f1' }));
    await expect(client.send(new StopFleetCommand({ Name: 'f1' }))).rejects.toBeInstanceOf(
      ConcurrentModificationException,
    );
    f.emu.control.advance(5 * MIN);
    await expect(client.send(new DeleteFleetCommand({ Name: 'f1' }))).rejects.toBeInstanceOf(
      ResourceInUseException,
    );
    await client.send(new DisassociateFleetCommand({ FleetName: 'f1', StackName: 's1' }));
    await client.send(new DeleteFleetCommand({ Name: 'f1' }));
    expect((await client.send(new DescribeFleetsCommand({}))).Fleets).toEqual([]);
  });

  it('requires ComputeCapacity for ON_DEMAND fleets and enforces the fleet quota', async () => {
    const client = f.client();
    await expect(createFleet(client, 'x', { ComputeCapacity: undefined })).rejects.toBeInstanceOf(
      InvalidParameterCombinationException,
    );
    for (let i = 1; i <= 5; i++) await createFleet(client, `f${i}`);
    await expect(createFleet(client, 'f6')).rejects.toBeInstanceOf(LimitExceededException);
  });

  it('refuses StartFleet unless STOPPED', async () => {
    const client = f.client();
    await runningFleet(client);
    await expect(client.send(new StartFleetCommand({ Name: 'f1' }))).rejects.toBeInstanceOf(
      OperationNotPermittedException,
    );
  });
});

describe('Emulator: stacks', () => {
  it('creates, updates and describes a stack', async () => {
    const client = f.client();
    await createStack(client);
    await client.send(
      new UpdateStackCommand({ Name: 's1', DisplayName: 'Office apps', FeedbackURL: 'https://example.com' }),
    );
    const [s] = (await client.send(new DescribeStacksCommand({ Names: ['s1'] }))).Stacks!;
    expect(s).toMatchObject({ Name: 's1', DisplayName: 'Office apps', FeedbackURL: 'https://example.com' });
  });

  it('is deleted in three steps: stop its fleets, disassociate them, delete the stack', async () => {
    const client = f.client();
    await runningFleet(client);
    await createStack(client);
    await client.send(new AssociateFleetCommand({ FleetName: 'f1', StackName: 's1' }));
    expect((await client.send(new ListAssociatedFleetsCommand({ StackName: 's1' }))).Names).toEqual(['f1']);
    expect((await client.send(new ListAssociatedStacksCommand({ FleetName: 'f1' }))).Names).toEqual(['s1']);
    await expect(client.send(new DeleteStackCommand({ Name: 's1' }))).rejects.toBeInstanceOf(
      ResourceInUseException,
    );
    await client.send(new StopFleetCommand({ Name: 'f1' }));
    f.emu.control.advance(5 * MIN);
    await client.send(new DisassociateFleetCommand({ FleetName: 'f1', StackName: 's1' }));
    await client.send(new DeleteStackCommand({ Name: 's1' }));
    expect((await client.send(new DescribeStacksCommand({}))).Stacks).toEqual([]);
  });

  it('associates at most one fleet with a stack', async () => {
    const client = f.client();
    await createFleet(client, 'f1');
    await createFleet(client, 'f2');
    await createStack(client);
    await client.send(new AssociateFleetCommand({ FleetName: 'f1', StackName: 's1' }));
    await expect(
      client.send(new AssociateFleetCommand({ FleetName: 'f2', StackName: 's1' })),
    ).rejects.toBeInstanceOf(LimitExceededException);
  });
});

describe('Emulator: streaming URLs and sessions', () => {
  it('issues a streaming URL with the requested validity; opening it starts a session that ExpireSession ends', async () => {
    const client = f.client();
    await runningFleet(client);
    await createStack(client);
    await client.send(new AssociateFleetCommand({ FleetName: 'f1', StackName: 's1' }));
    const now = f.emu.world.now();
    const url = await client.send(
      new CreateStreamingURLCommand({ StackName: 's1', FleetName: 'f1', UserId: 'alice', Validity: 300 }),
    );
    expect(Math.abs(url.Expires!.getTime() - (now + 300_000))).toBeLessThan(2000);
    const session = f.emu.control.openStreamingUrl({ url: url.StreamingURL! });
    const sessions = (await client.send(new DescribeSessionsCommand({ StackName: 's1', FleetName: 'f1' })))
      .Sessions!;
    expect(sessions).toEqual([expect.objectContaining({ Id: session.id, UserId: 'alice', State: 'ACTIVE' })]);
    expect((await fleetOf(client)).ComputeCapacityStatus).toMatchObject({ InUse: 1, Available: 1 });
    await client.send(new ExpireSessionCommand({ SessionId: session.id }));
    expect(
      (await client.send(new DescribeSessionsCommand({ StackName: 's1', FleetName: 'f1' }))).Sessions,
    ).toEqual([]);
  });

  it('refuses a streaming URL for a fleet that is not RUNNING', async () => {
    const client = f.client();
    await createFleet(client);
    await createStack(client);
    await client.send(new AssociateFleetCommand({ FleetName: 'f1', StackName: 's1' }));
    await expect(
      client.send(new CreateStreamingURLCommand({ StackName: 's1', FleetName: 'f1', UserId: 'bob' })),
    ).rejects.toBeInstanceOf(ResourceNotAvailableException);
  });
});
