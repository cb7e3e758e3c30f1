/**
 * Follow-ups of issue 6: EC2-only callers see settled state, short fleets pick up freed
 * addresses, idle users are disconnected (IdleDisconnectTimeoutInSeconds), `__proto__` is an
 * ordinary tag key everywhere, errors before protocol dispatch come in the caller's protocol,
 * and quotas survive the state file.
 */
import {
  AssociateFleetCommand,
  DescribeFleetsCommand,
  DescribeSessionsCommand,
  StartFleetCommand,
  StopImageBuilderCommand,
} from '@aws-sdk/client-appstream';
import { DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { jsonDepthExceeds } from '../../../emulator/protocol';
import { instanceQuota, World } from '../../../emulator/world';
import { createBuilder, createFleet, createStack, runningBuilder } from '../../helpers/builders';
import { ACCOUNT, MIN, rawCall, useEmulator } from '../../helpers/emulator';
import { queryClients, rawQuery } from '../../helpers/query';

const f = useEmulator();
const clients = queryClients(f);

/** A VPC 10.0.0.0/16 with one /28 subnet (16 − 5 reserved = 11 usable addresses). */
function smallSubnet() {
  const net = f.emu.control.world.network(ACCOUNT, 'us-east-1');
  const vpc = net.addVpc('10.0.0.0/16');
  const subnet = net.addSubnet({ vpcId: vpc.id, cidr: '10.0.0.0/28', az: net.zones[0] });
  return { subnetId: subnet.id };
}

const freeIps = async (subnetId: string) =>
  (await clients.ec2().send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }))).Subnets![0]
    .AvailableIpAddressCount;

describe('Emulator: EC2 callers see the AppStream lifecycles as of now', () => {
  it('settles before answering: a builder that stopped meanwhile has released its address (EC2 calls only)', async () => {
    const client = f.client();
    const { subnetId } = smallSubnet();
    await createBuilder(client, 'b1', { VpcConfig: { SubnetIds: [subnetId] } });
    expect(await freeIps(subnetId)).toBe(10);
    f.emu.control.advance(13 * MIN);
    await client.send(new StopImageBuilderCommand({ Name: 'b1' }));
    // Only the clock moves and only EC2 is asked: the STOPPING → STOPPED transition is due.
    f.emu.control.advance(30 * MIN);
    expect(await freeIps(subnetId)).toBe(11);
  });
});

describe('Emulator: a fleet short of network interfaces keeps provisioning toward its desired capacity', () => {
  it('takes an address freed by a builder in its subnet (10 → 11 of 20), still reporting the shortage', async () => {
    const client = f.client();
    const { subnetId } = smallSubnet();
    f.emu.control.setQuotas({ streamingInstances: 50 });
    await runningBuilder(f.emu, client, 'b0'); // default VPC: not in the /28
    await createBuilder(client, 'b1', { VpcConfig: { SubnetIds: [subnetId] } });
    f.emu.control.advance(13 * MIN);
    await createFleet(client, 'f1', {
      ComputeCapacity: { DesiredInstances: 20 },
      VpcConfig: { SubnetIds: [subnetId] },
    });
    await client.send(new StartFleetCommand({ Name: 'f1' }));
    f.emu.control.advance(15 * MIN);
    const fleet = async () => (await client.send(new DescribeFleetsCommand({ Names: ['f1'] }))).Fleets![0];
    expect((await fleet()).ComputeCapacityStatus).toMatchObject({ Desired: 20, Running: 10 });
    expect(await freeIps(subnetId)).toBe(0);

    await client.send(new StopImageBuilderCommand({ Name: 'b1' }));
    f.emu.control.advance(30 * MIN);
    // The next request settles the builder's stop; the fleet takes the address and ramps up to it.
    expect((await fleet()).ComputeCapacityStatus).toMatchObject({ Desired: 20, Running: 10 });
    expect(f.emu.control.world.network(ACCOUNT, 'us-east-1').enisOf('fleet/f1')).toHaveLength(11);
    f.emu.control.advance(15 * MIN);
    const after = await fleet();
    expect(after.ComputeCapacityStatus).toMatchObject({ Desired: 20, Running: 11 });
    expect(after.FleetErrors).toEqual([
      expect.objectContaining({ ErrorCode: 'SUBNET_HAS_INSUFFICIENT_IP_ADDRESSES' }),
    ]);
    expect(f.emu.control.world.network(ACCOUNT, 'us-east-1').enisOf('fleet/f1')).toHaveLength(11);
    expect(await freeIps(subnetId)).toBe(0);
  });
});

interface SessionsAnswer {
  opened: string[];
  idle: { id: string; disconnectsAt: number | null }[];
  active: string[];
  reconnected: string[];
  gone: string[];
}

async function sessions(body: Record<string, unknown>): Promise<SessionsAnswer> {
  const res = await fetch(`${f.emu.endpoint}/_emulator/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as SessionsAnswer;
}

describe('Emulator: IdleDisconnectTimeoutInSeconds', () => {
  async function runningFleet(extra: Record<string, unknown>) {
    const client = f.client();
    await createFleet(client, 'f1', { DisconnectTimeoutInSeconds: 300, ...extra });
    await createStack(client, 's1');
    await client.send(new AssociateFleetCommand({ FleetName: 'f1', StackName: 's1' }));
    await client.send(new StartFleetCommand({ Name: 'f1' }));
    f.emu.control.advance(15 * MIN);
    const list = async () =>
      (await client.send(new DescribeSessionsCommand({ StackName: 's1', FleetName: 'f1' }))).Sessions ?? [];
    return { client, list };
  }

  it('disconnects an idle user after it, then DisconnectTimeoutInSeconds applies (reconnect within it)', async () => {
    const { list } = await runningFleet({ IdleDisconnectTimeoutInSeconds: 600 });
    const [a, b] = (await sessions({ fleet: 'f1', open: 2 })).opened;
    const before = f.emu.control.world.now();
    const marked = await sessions({ fleet: 'f1', idle: [a, b] });
    expect(marked.idle.map((i) => i.id)).toEqual([a, b]);
    expect(marked.idle[0].disconnectsAt).toBeGreaterThanOrEqual(before + 600_000);
    expect(marked.idle[0].disconnectsAt).toBeLessThanOrEqual(f.emu.control.world.now() + 600_000);
    // b is active again before the idle timeout: it stays connected.
    f.emu.control.advance(5 * MIN);
    expect((await sessions({ fleet: 'f1', active: [b] })).active).toEqual([b]);
    f.emu.control.advance(5 * MIN + 1000);
    const state = async () => Object.fromEntries((await list()).map((s) => [s.Id, s.ConnectionState]));
    expect(await state()).toEqual({ [a]: 'NOT_CONNECTED', [b]: 'CONNECTED' });
    // Within the disconnect timeout the user gets the same session back.
    f.emu.control.advance(4 * MIN);
    expect((await sessions({ fleet: 'f1', reconnect: [a] })).reconnected).toEqual([a]);
    expect(await state()).toEqual({ [a]: 'CONNECTED', [b]: 'CONNECTED' });
    // Idle again and never back: disconnected after 10 minutes, ended 5 minutes later.
    await sessions({ fleet: 'f1', idle: [a] });
    f.emu.control.advance(15 * MIN + 1000);
    expect(await state()).toEqual({ [b]: 'CONNECTED' });
  });

  it('leaves idle users connected when the fleet has no idle timeout (0 or unset)', async () => {
    const { list } = await runningFleet({});
    const [a] = (await sessions({ fleet: 'f1', open: 1 })).opened;
    expect((await sessions({ fleet: 'f1', idle: [a] })).idle).toEqual([{ id: a, disconnectsAt: null }]);
    f.emu.control.advance(120 * MIN);
    expect((await list()).map((s) => s.ConnectionState)).toEqual(['CONNECTED']);
    expect((await sessions({ fleet: 'f1', idle: ['nope'] })).gone).toEqual(['nope']);
  });
});

describe('Emulator: prototype names are ordinary keys', () => {
  it('keeps a `__proto__` tag from EC2 CreateTags', async () => {
    const vpcId = f.emu.control.world.network(ACCOUNT, 'us-east-1').defaultVpc()!.id;
    const created = await rawQuery(f.emu.endpoint, {
      Action: 'CreateTags',
      Version: '2016-11-15',
      'ResourceId.1': vpcId,
      'Tag.1.Key': '__proto__',
      'Tag.1.Value': 'polluted?',
      'Tag.2.Key': 'constructor',
      'Tag.2.Value': 'no',
    });
    expect(created.status).toBe(200);
    const described = await rawQuery(f.emu.endpoint, {
      Action: 'DescribeVpcs',
      Version: '2016-11-15',
      'Filter.1.Name': 'tag:__proto__',
      'Filter.1.Value.1': 'polluted?',
    });
    expect(described.text).toContain(`<vpcId>${vpcId}</vpcId>`);
    expect(described.text).toContain('<key>__proto__</key><value>polluted?</value>');
    expect(described.text).toContain('<key>constructor</key><value>no</value>');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps a `__proto__` tag from AppStream TagResource and from the Image Assistant create-image --tags', async () => {
    const client = f.client();
    await runningBuilder(f.emu, client);
    const arn = `arn:aws:appstream:us-east-1:${ACCOUNT}:image-builder/b1`;
    const tagged = await rawCall(f.emu.endpoint, 'TagResource', {
      ResourceArn: arn,
      Tags: JSON.parse('{"__proto__":"x","team":"euc"}'),
    });
    expect(tagged.status).toBe(200);
    const listed = await rawCall(f.emu.endpoint, 'ListTagsForResource', { ResourceArn: arn });
    expect(Object.entries(listed.json.Tags as object)).toEqual([
      ['__proto__', 'x'],
      ['team', 'euc'],
    ]);

    const assistant = (argv: string[]) => f.emu.control.imageAssistant({ builderName: 'b1', argv });
    assistant(['add-application', '--name', 'a', '--absolute-app-path', 'C:\\a.exe']);
    expect(
      assistant(['create-image', '--name', 'img1', '--tags', '__proto__', 'y', 'cost', 'it']),
    ).toMatchObject({
      exitCode: 0,
    });
    const image = await rawCall(f.emu.endpoint, 'ListTagsForResource', {
      ResourceArn: `arn:aws:appstream:us-east-1:${ACCOUNT}:image/img1`,
    });
    expect(Object.entries(image.json.Tags as object)).toEqual([
      ['__proto__', 'y'],
      ['cost', 'it'],
    ]);
  });

  it('looks instance quotas up by own key only: an instance type named `constructor` gets the default quota', () => {
    expect(instanceQuota({ 'stream.standard.large': 9 }, 'constructor')).toBe(5);
    expect(instanceQuota({ 'stream.standard.large': 9 }, '__proto__')).toBe(5);
    expect(instanceQuota({ 'stream.standard.large': 9 }, 'stream.standard.large')).toBe(9);
  });

  it('answers an injected fault named like an Object.prototype member with that code (EC2 XML)', async () => {
    f.emu.control.failCalls({ code: 'constructor', message: 'injected', status: 400 } as never);
    const res = await rawQuery(f.emu.endpoint, { Action: 'DescribeVpcs', Version: '2016-11-15' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<Code>constructor</Code><Message>injected</Message>');
  });
});

describe('Emulator: errors before protocol dispatch come in the caller protocol', () => {
  const form = 'application/x-www-form-urlencoded; charset=utf-8';
  const ec2Auth =
    'AWS4-HMAC-SHA256 Credential=123456789012/20261126/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=00';
  const appstreamAuth = ec2Auth.replace('/ec2/', '/appstream/');

  it('answers a Query-protocol request with XML: body too large (413), unknown route (404)', async () => {
    const big = await fetch(`${f.emu.endpoint}/`, {
      method: 'POST',
      headers: { 'content-type': form, authorization: ec2Auth },
      body: `Action=DescribeVpcs&Version=2016-11-15&x=${'a'.repeat(2_500_000)}`,
    });
    expect(big.status).toBe(413);
    expect(big.headers.get('content-type')).toContain('xml');
    expect(await big.text()).toMatch(/<Response><Errors><Error><Code>RequestEntityTooLargeException<\/Code>/);

    const route = await fetch(`${f.emu.endpoint}/nowhere`, {
      method: 'POST',
      headers: { 'content-type': form, authorization: ec2Auth },
      body: 'Action=DescribeVpcs&Version=2016-11-15',
    });
    expect(route.status).toBe(404);
    expect(await route.text()).toMatch(/<Response><Errors><Error><Code>InvalidAction<\/Code>/);

    const sts = await fetch(`${f.emu.endpoint}/nowhere`, {
      method: 'GET',
      headers: { 'content-type': form, authorization: ec2Auth.replace('/ec2/', '/sts/') },
    });
    expect(sts.status).toBe(404);
    expect(await sts.text()).toMatch(
      /<ErrorResponse xmlns="[^"]+"><Error><Type>Sender<\/Type><Code>InvalidAction/,
    );
  });

  it('answers a JSON 1.1 request with JSON: body too large, deep nesting, unknown route', async () => {
    const headers = {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'PhotonAdminProxyService.DescribeFleets',
      authorization: appstreamAuth,
    };
    const big = await fetch(`${f.emu.endpoint}/`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ Names: ['a'.repeat(2_500_000)] }),
    });
    expect(big.status).toBe(413);
    expect(big.headers.get('x-amzn-errortype')).toBe('RequestEntityTooLargeException');
    expect(await big.json()).toMatchObject({ __type: 'RequestEntityTooLargeException' });

    const deep = await fetch(`${f.emu.endpoint}/`, {
      method: 'POST',
      headers,
      body: `{"Names":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
    });
    expect(deep.status).toBe(400);
    expect(await deep.json()).toMatchObject({ __type: 'SerializationException' });

    const route = await fetch(`${f.emu.endpoint}/nowhere`, { method: 'POST', headers, body: '{}' });
    expect(route.status).toBe(404);
    expect(route.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(await route.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });
});

describe('Emulator: JSON nesting scan', () => {
  it('skips string contents (escaped quotes and backslashes included) when counting depth', () => {
    expect(jsonDepthExceeds('{"a":"[[[[[[","b":[[1]]}', 3)).toBe(false);
    expect(jsonDepthExceeds('{"a":"\\"[[[[","b":1}', 2)).toBe(false);
    expect(jsonDepthExceeds('{"a":"x\\\\","b":[[[1]]]}', 3)).toBe(true);
    expect(jsonDepthExceeds('{"a":"\\\\\\"[[[[","b":[1]}', 2)).toBe(false);
    expect(
      jsonDepthExceeds(`{"s":"${'a'.repeat(100_000)}","d":${'['.repeat(1001)}${']'.repeat(1001)}}`),
    ).toBe(true);
  });
});

describe('Emulator: quotas in the state file', () => {
  it('saves the world-default quotas and the per account+region overrides, and loads them back', () => {
    const { control } = f.emu;
    control.setQuotas({ fleets: 7, streamingInstances: { 'stream.standard.large': 9 } });
    control.setQuotas({
      accountId: '210987654321',
      region: 'eu-west-2',
      stacks: 2,
      imageBuilderInstances: 1,
    });
    const saved = JSON.parse(JSON.stringify(control.world.toJSON()));
    const copy = new World();
    copy.load(saved);
    expect(copy.quotas).toEqual(control.world.quotas);
    expect(copy.quotasFor('210987654321', 'eu-west-2')).toEqual(
      control.world.quotasFor('210987654321', 'eu-west-2'),
    );
    expect(copy.quotasFor('210987654321', 'eu-west-2')).toMatchObject({
      fleets: 7,
      stacks: 2,
      imageBuilderInstances: 1,
      streamingInstances: { 'stream.standard.large': 9 },
    });
    expect(copy.quotasFor(ACCOUNT, 'eu-west-2').stacks).toBe(control.world.quotas.stacks);
  });
});
