import { TagResourceCommand, UntagResourceCommand } from '@aws-sdk/client-appstream';
import {
  GetResourcesCommand,
  GetTagKeysCommand,
  InvalidParameterException,
  PaginationTokenExpiredException,
  paginateGetResources,
  ResourceGroupsTaggingAPIClient,
  ThrottledException,
} from '@aws-sdk/client-resource-groups-tagging-api';
import { describe, expect, it } from 'vitest';
import { declaredErrors, loadModel } from '../../../emulator/model';
import { isTransient } from '../../../lib/aws/call';
import { TAG } from '../../../lib/tags';
import { awsCliEnv, run } from '../../helpers/aws-cli';
import { createBuilder, createFleet, createStack } from '../../helpers/builders';
import { recordResponses, responseProblems } from '../../helpers/contract';
import { type ClientOptions, MIN, OTHER_ACCOUNT, useEmulator } from '../../helpers/emulator';

const f = useEmulator();
/** Every response of this file, checked against the model at the end. */
const seen = recordResponses(f);

const tagging = (opts: ClientOptions = {}) => f.sdk(ResourceGroupsTaggingAPIClient, opts);

const arn = (type: string, name: string) => `arn:aws:appstream:us-east-1:123456789012:${type}/${name}`;

/** Fleets f1 (schedule=office, team=a), f2 (schedule=night), f3 (untagged), stack s1 (team=a), builder b1 (team=b). */
async function resources() {
  const client = f.client();
  await createFleet(client, 'f1', { Tags: { [TAG.schedule]: 'office', team: 'a' } });
  await createFleet(client, 'f2', { Tags: { [TAG.schedule]: 'night' } });
  await createFleet(client, 'f3');
  await createStack(client, 's1');
  await client.send(new TagResourceCommand({ ResourceArn: arn('stack', 's1'), Tags: { team: 'a' } }));
  await createBuilder(client, 'b1', { Tags: { team: 'b' } });
}

const arns = (out: { ResourceTagMappingList?: { ResourceARN?: string }[] }) =>
  out.ResourceTagMappingList!.map((r) => r.ResourceARN);

describe('Emulator: Resource Groups Tagging API GetResources', () => {
  it('lists the tagged AppStream resources of the account and region with their tags, not untagged ones', async () => {
    await resources();
    const out = await tagging().send(new GetResourcesCommand({}));
    expect(out.ResourceTagMappingList).toEqual([
      {
        ResourceARN: arn('fleet', 'f1'),
        Tags: [
          { Key: TAG.schedule, Value: 'office' },
          { Key: 'team', Value: 'a' },
        ],
      },
      { ResourceARN: arn('fleet', 'f2'), Tags: [{ Key: TAG.schedule, Value: 'night' }] },
      { ResourceARN: arn('image-builder', 'b1'), Tags: [{ Key: 'team', Value: 'b' }] },
      { ResourceARN: arn('stack', 's1'), Tags: [{ Key: 'team', Value: 'a' }] },
    ]);
    expect(out.PaginationToken).toBe('');
    expect(
      (await tagging({ account: OTHER_ACCOUNT }).send(new GetResourcesCommand({}))).ResourceTagMappingList,
    ).toEqual([]);
    expect(
      (await tagging({ region: 'eu-west-1' }).send(new GetResourcesCommand({}))).ResourceTagMappingList,
    ).toEqual([]);
  });

  it('filters by resource type as named in the ARN (appstream, appstream:fleet, appstream:image-builder, appstream:stack)', async () => {
    await resources();
    const client = tagging();
    const of = async (ResourceTypeFilters: string[]) =>
      arns(await client.send(new GetResourcesCommand({ ResourceTypeFilters })));
    expect(await of(['appstream:fleet'])).toEqual([arn('fleet', 'f1'), arn('fleet', 'f2')]);
    expect(await of(['appstream:image-builder', 'appstream:stack'])).toEqual([
      arn('image-builder', 'b1'),
      arn('stack', 's1'),
    ]);
    expect(await of(['appstream'])).toHaveLength(4);
    expect(await of(['appstream:image'])).toEqual([]);
    expect(await of(['ec2:instance'])).toEqual([]);
  });

  it('ANDs tag filters, ORs the values of one filter, and matches any value for a key alone', async () => {
    await resources();
    const client = tagging();
    const of = async (TagFilters: { Key: string; Values?: string[] }[]) =>
      arns(await client.send(new GetResourcesCommand({ TagFilters })));
    expect(await of([{ Key: TAG.schedule }])).toEqual([arn('fleet', 'f1'), arn('fleet', 'f2')]);
    expect(await of([{ Key: 'team', Values: ['a', 'b'] }])).toEqual([
      arn('fleet', 'f1'),
      arn('image-builder', 'b1'),
      arn('stack', 's1'),
    ]);
    expect(await of([{ Key: 'team', Values: ['a'] }, { Key: TAG.schedule }])).toEqual([arn('fleet', 'f1')]);
    expect(await of([{ Key: 'team', Values: ['z'] }])).toEqual([]);
  });

  it('keeps a previously tagged resource with an empty tag set, and looks up a ResourceARNList', async () => {
    await resources();
    await f
      .client()
      .send(new UntagResourceCommand({ ResourceArn: arn('fleet', 'f2'), TagKeys: [TAG.schedule] }));
    const client = tagging();
    const all = await client.send(new GetResourcesCommand({ ResourceTypeFilters: ['appstream:fleet'] }));
    expect(all.ResourceTagMappingList).toContainEqual({ ResourceARN: arn('fleet', 'f2'), Tags: [] });
    const listed = await client.send(
      new GetResourcesCommand({
        ResourceARNList: [arn('fleet', 'f1'), arn('fleet', 'f3'), arn('fleet', 'ghost')],
      }),
    );
    expect(arns(listed)).toEqual([arn('fleet', 'f1')]);
  });

  it('pages with ResourcesPerPage and the SDK paginator, at most 100 per page', async () => {
    f.emu.control.setQuotas({ fleets: 120 });
    for (let i = 0; i < 105; i++)
      await createFleet(f.client(), `p${String(i).padStart(3, '0')}`, {
        ComputeCapacity: { DesiredInstances: 0 },
        Tags: { k: `${i}` },
      });
    const client = tagging();
    const pages: number[] = [];
    for await (const page of paginateGetResources(
      { client, pageSize: 100 },
      { ResourceTypeFilters: ['appstream:fleet'] },
    ))
      pages.push(page.ResourceTagMappingList!.length);
    expect(pages).toEqual([100, 5]);
    const defaults = await client.send(new GetResourcesCommand({}));
    expect(defaults.ResourceTagMappingList).toHaveLength(50);
    const small = await client.send(new GetResourcesCommand({ ResourcesPerPage: 2, TagsPerPage: 100 }));
    expect(arns(small)).toEqual([arn('fleet', 'p000'), arn('fleet', 'p001')]);
    const next = await client.send(
      new GetResourcesCommand({ ResourcesPerPage: 2, PaginationToken: small.PaginationToken }),
    );
    expect(arns(next)).toEqual([arn('fleet', 'p002'), arn('fleet', 'p003')]);
  });

  it('refuses bad page sizes, bad or expired tokens and ResourceARNList with filters', async () => {
    await resources();
    const client = tagging();
    await expect(client.send(new GetResourcesCommand({ ResourcesPerPage: 101 }))).rejects.toThrow(
      InvalidParameterException,
    );
    await expect(client.send(new GetResourcesCommand({ ResourcesPerPage: 0 }))).rejects.toThrow(
      InvalidParameterException,
    );
    await expect(client.send(new GetResourcesCommand({ TagsPerPage: 99 }))).rejects.toThrow(
      InvalidParameterException,
    );
    await expect(client.send(new GetResourcesCommand({ PaginationToken: 'garbage' }))).rejects.toThrow(
      InvalidParameterException,
    );
    await expect(
      client.send(
        new GetResourcesCommand({ ResourceARNList: [arn('fleet', 'f1')], TagFilters: [{ Key: 'team' }] }),
      ),
    ).rejects.toThrow(InvalidParameterException);
    const first = await client.send(new GetResourcesCommand({ ResourcesPerPage: 1 }));
    f.emu.control.advance(16 * MIN);
    await expect(
      client.send(new GetResourcesCommand({ ResourcesPerPage: 1, PaginationToken: first.PaginationToken })),
    ).rejects.toThrow(PaginationTokenExpiredException);
  });

  it('answers the other operations with NotImplementedException and honours injected throttling', async () => {
    const client = tagging();
    await expect(client.send(new GetTagKeysCommand({}))).rejects.toMatchObject({
      name: 'NotImplementedException',
    });
    // The tagging API throttles with the error its model declares, ThrottledException (not the
    // common ThrottlingException); the SDK retries it as a throttling code, then gives up.
    f.emu.control.setFaults({ throttleRate: 1, throttleOperations: ['GetResources'] });
    const err = await tagging({ maxAttempts: 3 })
      .send(new GetResourcesCommand({}))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ThrottledException);
    expect(err).toMatchObject({ name: 'ThrottledException', $metadata: { attempts: 3 } });
    expect(declaredErrors(loadModel('resourcegroupstaggingapi'), 'GetResources')).toContain(
      'ThrottledException',
    );
    expect(isTransient(err)).toBe(true);
  });

  it('recovers when throttling passes: the SDK retries ThrottledException', async () => {
    const client = tagging({ maxAttempts: 3 });
    await createFleet(f.client(), 'throttled-once', { Tags: { team: 'retry' } });
    let calls = 0;
    const unsubscribe = f.emu.onResponse((operation, status, body) => {
      if (operation !== 'GetResources') return;
      calls++;
      // Throttle the first attempt only: the SDK's retry of it succeeds.
      if (calls === 1) {
        expect(status).toBe(400);
        expect(JSON.parse(body).__type).toBe('ThrottledException');
        f.emu.control.setFaults({});
      }
    });
    f.emu.control.setFaults({ throttleRate: 1, throttleOperations: ['GetResources'] });
    const out = await client
      .send(new GetResourcesCommand({ ResourceTypeFilters: ['appstream:fleet'] }))
      .finally(unsubscribe);
    expect(calls).toBe(2);
    expect(out.ResourceTagMappingList?.map((r) => r.ResourceARN)).toContain(arn('fleet', 'throttled-once'));
  });

  it('accepts credentials scoped to any commercial region (the tagging API runs everywhere)', async () => {
    expect(
      (await tagging({ region: 'us-west-1' }).send(new GetResourcesCommand({}))).ResourceTagMappingList,
    ).toEqual([]);
  });
});

describe('Emulator: GetResources with the AWS CLI and boto3', () => {
  it('filters with `aws resourcegroupstaggingapi get-resources`', async () => {
    await resources();
    const { stdout } = await run(
      'aws',
      [
        'resourcegroupstaggingapi',
        'get-resources',
        '--resource-type-filters',
        'appstream:fleet',
        '--tag-filters',
        'Key=autopilot:schedule,Values=office',
        '--endpoint-url',
        f.emu.endpoint,
        '--output',
        'json',
      ],
      { env: awsCliEnv() },
    );
    expect(JSON.parse(stdout).ResourceTagMappingList).toEqual([
      {
        ResourceARN: arn('fleet', 'f1'),
        Tags: [
          { Key: TAG.schedule, Value: 'office' },
          { Key: 'team', Value: 'a' },
        ],
      },
    ]);
  });

  it('pages with a boto3 paginator (stops on the empty final token)', async () => {
    await resources();
    const script = `
import boto3, json, sys
c = boto3.client('resourcegroupstaggingapi', endpoint_url=sys.argv[1], region_name='us-east-1',
                 aws_access_key_id='123456789012', aws_secret_access_key='s')
pages = list(c.get_paginator('get_resources').paginate(ResourcesPerPage=3))
try:
    c.get_resources(ResourcesPerPage=500)
    err = None
except c.exceptions.InvalidParameterException as e:
    err = e.response['Error']['Code']
print(json.dumps({'pages': [len(p['ResourceTagMappingList']) for p in pages], 'err': err}))
`;
    const { stdout } = await run('python3', ['-c', script, f.emu.endpoint], { env: awsCliEnv() });
    expect(JSON.parse(stdout)).toEqual({ pages: [3, 1], err: 'InvalidParameterException' });
  });
});

describe('Emulator: Resource Groups Tagging API responses against the model', () => {
  it('answers every call of this file with the output shape or an error the operation declares', () => {
    const model = loadModel('resourcegroupstaggingapi');
    const ops = seen.filter((s) => Object.hasOwn(model.operations, s.operation));
    expect(ops.length).toBeGreaterThan(20);
    expect(responseProblems(model, ops)).toEqual([]);
  });
});
