import {
  DescribeFleetsCommand,
  LimitExceededException,
  ResourceNotAvailableException,
  StartFleetCommand,
  StartImageBuilderCommand,
  StopImageBuilderCommand,
  UpdateFleetCommand,
} from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import { createBuilder, createFleet } from '../../helpers/builders';
import { ACCOUNT, MIN, OTHER_ACCOUNT, useEmulator } from '../../helpers/emulator';

const f = useEmulator();

async function setQuotas(body: Record<string, unknown> | string) {
  const res = await fetch(`${f.emu.endpoint}/_emulator/quotas`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('Emulator: quotas per account and region', () => {
  it('sets a quota for one account in one region, leaving the others at the defaults', async () => {
    const set = await setQuotas({ accountId: ACCOUNT, region: 'us-east-1', fleets: 1 });
    expect(set).toMatchObject({ status: 200, json: { fleets: 1, stacks: 5 } });
    const here = f.client();
    await createFleet(here, 'f1');
    await expect(createFleet(here, 'f2')).rejects.toBeInstanceOf(LimitExceededException);
    // The same account in another region, and another account here, keep the default of 5.
    await createFleet(f.client({ region: 'us-west-2' }), 'f1');
    await createFleet(f.client({ region: 'us-west-2' }), 'f2');
    await createFleet(f.client({ account: OTHER_ACCOUNT }), 'f1');
    await expect(createFleet(f.client({ account: OTHER_ACCOUNT }), 'f2')).resolves.toMatchObject({
      Name: 'f2',
    });
  });

  it('sets the world default without accountId and region; a scope override wins over it', async () => {
    await setQuotas({ fleets: 1 });
    await setQuotas({ region: 'us-west-2', fleets: 2 });
    await createFleet(f.client(), 'f1');
    await expect(createFleet(f.client(), 'f2')).rejects.toBeInstanceOf(LimitExceededException);
    const west = f.client({ region: 'us-west-2' });
    await createFleet(west, 'f1');
    await createFleet(west, 'f2');
    await expect(createFleet(west, 'f3')).rejects.toBeInstanceOf(LimitExceededException);
  });

  it('refuses quotas that are not whole numbers, naming the field', async () => {
    const bad = await setQuotas({ streamingInstances: '10' });
    expect(bad.status).toBe(400);
    expect(String(bad.json.message)).toContain('streamingInstances');
    expect((await setQuotas({ accountId: 'x', fleets: 1 })).status).toBe(400);
  });

  it('refuses instance quotas keyed by anything but AppStream instance types, naming the field', async () => {
    for (const field of ['streamingInstances', 'imageBuilderInstances'])
      for (const [map, named] of [
        ['{"__proto__": 3}', `'${field}.__proto__'`],
        ['{}', `'${field}'`],
        ['{"stream.bogus": 3}', `'${field}.stream.bogus'`],
        ['{"constructor": 3}', `'${field}.constructor'`],
        ['{"stream.standard.medium": -1}', `'${field}.stream.standard.medium'`],
        ['[3]', `'${field}'`],
      ]) {
        const bad = await setQuotas(`{"${field}": ${map}}`);
        expect(bad.status, `${field} ${map}`).toBe(400);
        expect(bad.json.__type).toBe('ValidationException');
        expect(String(bad.json.message), `${field} ${map}`).toContain(named);
      }
    // Nothing was set: the default of 5 per type still applies.
    const ok = await setQuotas({ streamingInstances: { 'stream.standard.large': 7 } });
    expect(ok.status).toBe(200);
    expect(ok.json.streamingInstances).toEqual({ 'stream.standard.large': 7 });
  });
});

describe('Emulator: streaming-instance quotas', () => {
  it('refuses a fleet whose capacity exceeds its instance type quota (5 by default)', async () => {
    const client = f.client();
    await expect(createFleet(client, 'f1', { ComputeCapacity: { DesiredInstances: 6 } })).rejects.toThrow(
      expect.objectContaining({
        name: 'LimitExceededException',
        message: expect.stringContaining('stream.standard.medium'),
      }),
    );
    await setQuotas({ streamingInstances: { 'stream.standard.medium': 6 } });
    await expect(
      createFleet(client, 'f1', { ComputeCapacity: { DesiredInstances: 6 } }),
    ).resolves.toMatchObject({
      ComputeCapacityStatus: { Desired: 6 },
    });
    // Other instance types keep the default.
    await expect(
      createFleet(client, 'f2', {
        InstanceType: 'stream.standard.large',
        ComputeCapacity: { DesiredInstances: 6 },
      }),
    ).rejects.toBeInstanceOf(LimitExceededException);
  });

  it('shares the quota among the running fleets of a type: a start past it is refused', async () => {
    const client = f.client();
    await createFleet(client, 'f1', { ComputeCapacity: { DesiredInstances: 3 } });
    await createFleet(client, 'f2', { ComputeCapacity: { DesiredInstances: 3 } });
    await createFleet(client, 'f3', {
      InstanceType: 'stream.standard.large',
      ComputeCapacity: { DesiredInstances: 3 },
    });
    await client.send(new StartFleetCommand({ Name: 'f1' }));
    await expect(client.send(new StartFleetCommand({ Name: 'f2' }))).rejects.toBeInstanceOf(
      LimitExceededException,
    );
    await client.send(new StartFleetCommand({ Name: 'f3' }));
    const states = (await client.send(new DescribeFleetsCommand({}))).Fleets!.map((x) => [x.Name, x.State]);
    expect(states).toEqual([
      ['f1', 'STARTING'],
      ['f2', 'STOPPED'],
      ['f3', 'STARTING'],
    ]);
  });

  it('refuses growing a RUNNING fleet past the quota and leaves it unchanged', async () => {
    const client = f.client();
    await createFleet(client, 'f1', { ComputeCapacity: { DesiredInstances: 2 } });
    await client.send(new StartFleetCommand({ Name: 'f1' }));
    f.emu.control.advance(15 * MIN);
    await expect(
      client.send(
        new UpdateFleetCommand({ Name: 'f1', DisplayName: 'x', ComputeCapacity: { DesiredInstances: 8 } }),
      ),
    ).rejects.toBeInstanceOf(LimitExceededException);
    const fleet = (await client.send(new DescribeFleetsCommand({ Names: ['f1'] }))).Fleets![0];
    expect(fleet.ComputeCapacityStatus).toMatchObject({ Desired: 2, Running: 2 });
    expect(fleet.DisplayName).toBeUndefined();
    await setQuotas({ streamingInstances: 8 });
    await client.send(new UpdateFleetCommand({ Name: 'f1', ComputeCapacity: { DesiredInstances: 8 } }));
    f.emu.control.advance(5 * MIN);
    expect(
      (await client.send(new DescribeFleetsCommand({ Names: ['f1'] }))).Fleets![0].ComputeCapacityStatus,
    ).toMatchObject({
      Desired: 8,
      Running: 8,
    });
  });

  it('has a separate image builder instance quota per type', async () => {
    const client = f.client();
    f.emu.control.setQuotas({ imageBuilderInstances: { 'stream.standard.large': 1 } });
    await createBuilder(client, 'b1', { InstanceType: 'stream.standard.large' });
    await expect(createBuilder(client, 'b2', { InstanceType: 'stream.standard.large' })).rejects.toThrow(
      expect.objectContaining({
        name: 'LimitExceededException',
        message: expect.stringContaining('stream.standard.large'),
      }),
    );
    await expect(createBuilder(client, 'b2')).resolves.toMatchObject({
      InstanceType: 'stream.standard.medium',
    });
    // A stopped builder has no instance: another one of its type may run, and then it can't start.
    f.emu.control.advance(13 * MIN);
    await client.send(new StopImageBuilderCommand({ Name: 'b1' }));
    f.emu.control.advance(4 * MIN);
    await createBuilder(client, 'b3', { InstanceType: 'stream.standard.large' });
    await expect(client.send(new StartImageBuilderCommand({ Name: 'b1' }))).rejects.toBeInstanceOf(
      ResourceNotAvailableException,
    );
  });
});
