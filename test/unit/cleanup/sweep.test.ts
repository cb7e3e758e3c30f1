import {
  AppStreamClient,
  DescribeImageBuildersCommand,
  ListTagsForResourceCommand,
  StopImageBuilderCommand,
  TagResourceCommand,
} from '@aws-sdk/client-appstream';
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { planCleanup } from '../../../lib/cleanup/plan';
import { validateCleanupPolicy } from '../../../lib/cleanup/policy';
import { capRows, sweepBatch } from '../../../lib/cleanup/sweep';
import { batchesOf, targetsOf } from '../../../lib/cleanup/targets';
import { TAG } from '../../../lib/tags';
import { appstream, arn, as, NOW, sweepDeps, tg } from './sweep-fixtures';

const H = 3_600_000;
const POLICY = { warnAfter: '2h', stopAfter: '4h', notify: 'none', scope: { regions: ['us-east-1'] } };
const throttled = () =>
  Object.assign(new Error('Rate exceeded'), {
    name: 'ThrottlingException',
    $metadata: { httpStatusCode: 400 },
  });

const input = (targets = [{ account: '123456789012', region: 'us-east-1' }], policy: unknown = POLICY) => ({
  at: new Date(NOW).toISOString(),
  dryRun: false,
  detail: true,
  policy,
  targets,
});

describe('sweep: list → decide → act per account-region', () => {
  beforeEach(() => {
    as.reset();
    tg.reset();
  });

  it('reads every page of builders and their tags in bulk, then stops the one due', async () => {
    as.on(DescribeImageBuildersCommand)
      .resolvesOnce({
        ImageBuilders: [
          { Name: 'due', Arn: arn('due'), State: 'RUNNING', CreatedTime: new Date(NOW - 10 * H) },
        ],
        NextToken: 't',
      })
      .resolvesOnce({
        ImageBuilders: [
          { Name: 'fresh', Arn: arn('fresh'), State: 'RUNNING', CreatedTime: new Date(NOW - H) },
        ],
      });
    tg.on(GetResourcesCommand).resolves({
      ResourceTagMappingList: [
        {
          ResourceARN: arn('due'),
          Tags: [
            {
              Key: TAG.cleanup,
              Value: 'stop@2026-11-27T11:00Z warned@2026-11-27T09:00Z seen@2026-11-27T02:00Z',
            },
          ],
        },
      ],
      PaginationToken: '',
    });
    // The re-check before the stop reads the builder and its tags again.
    as.on(DescribeImageBuildersCommand, { Names: ['due'] }).resolves({
      ImageBuilders: [
        { Name: 'due', Arn: arn('due'), State: 'RUNNING', CreatedTime: new Date(NOW - 10 * H) },
      ],
    });
    as.on(ListTagsForResourceCommand, { ResourceArn: arn('due') }).resolves({
      Tags: { [TAG.cleanup]: 'stop@2026-11-27T11:00Z warned@2026-11-27T09:00Z seen@2026-11-27T02:00Z' },
    });
    const { scopes } = await sweepBatch(input(), sweepDeps());
    expect(scopes[0].error).toBeUndefined();
    expect(scopes[0].rows.map((r) => [r.builder, r.action, r.result])).toEqual([
      ['due', 'stop', 'applied'],
      ['fresh', 'none', undefined],
    ]);
    expect(scopes[0].counts).toEqual({ stop: 1, applied: 1, none: 1 });
    expect(as.commandCalls(StopImageBuilderCommand)).toHaveLength(1);
    expect(tg.commandCalls(GetResourcesCommand)[0].args[0].input).toMatchObject({
      ResourceTypeFilters: ['appstream:image-builder'],
      ResourcesPerPage: 100,
    });
    expect(scopes[0].reads).toBe(5);
  });

  it('delivers warnings before writing their marks; an undelivered warning writes no mark', async () => {
    const TOPIC = 'arn:aws:sns:us-east-1:123456789012:cleanup';
    const policy = { ...POLICY, notify: { topicArn: TOPIC } };
    as.on(DescribeImageBuildersCommand).resolves({
      ImageBuilders: [
        { Name: 'idle', Arn: arn('idle'), State: 'RUNNING', CreatedTime: new Date(NOW - 3 * H) },
      ],
    });
    tg.on(GetResourcesCommand).resolves({
      ResourceTagMappingList: [
        { ResourceARN: arn('idle'), Tags: [{ Key: TAG.cleanup, Value: 'seen@2026-11-27T09:00Z' }] },
      ],
    });
    const order: string[] = [];
    as.on(TagResourceCommand).callsFake(() => {
      order.push('tag');
      return {};
    });
    const sent: unknown[] = [];
    const ok = await sweepBatch(
      input(undefined, policy),
      sweepDeps({
        notifier: {
          publish: async (n) => {
            order.push('publish');
            sent.push(n);
          },
        },
      }),
    );
    expect(ok.scopes[0].rows[0]).toMatchObject({ builder: 'idle', action: 'warn', result: 'applied' });
    expect(order).toEqual(['publish', 'tag']);
    expect(sent[0]).toMatchObject({
      topicArn: TOPIC,
      message: { warned: [expect.objectContaining({ builder: 'idle' })] },
    });

    as.resetHistory();
    const failed = await sweepBatch(
      input(undefined, policy),
      sweepDeps({
        notifier: {
          publish: async () => {
            throw new Error('SNS down');
          },
        },
      }),
    );
    expect(failed.scopes[0].rows[0]).toMatchObject({ action: 'warn', result: 'failed' });
    expect(failed.scopes[0].rows[0].error).toMatch(/warning not delivered .*SNS down.*no mark written/);
    expect(as.commandCalls(TagResourceCommand)).toHaveLength(0);
  });

  it("names each warned builder's creator from TAG.creator (read in bulk with the other tags)", async () => {
    const TOPIC = 'arn:aws:sns:us-east-1:123456789012:cleanup';
    const ALICE = 'arn:aws:iam::123456789012:user/Alice';
    as.on(DescribeImageBuildersCommand).resolves({
      ImageBuilders: [
        { Name: 'alices', Arn: arn('alices'), State: 'RUNNING', CreatedTime: new Date(NOW - 3 * H) },
        { Name: 'unknown', Arn: arn('unknown'), State: 'RUNNING', CreatedTime: new Date(NOW - 3 * H) },
      ],
    });
    tg.on(GetResourcesCommand).resolves({
      ResourceTagMappingList: [
        {
          ResourceARN: arn('alices'),
          Tags: [
            { Key: TAG.cleanup, Value: 'seen@2026-11-27T09:00Z' },
            { Key: TAG.creator, Value: ALICE },
          ],
        },
        { ResourceARN: arn('unknown'), Tags: [{ Key: TAG.cleanup, Value: 'seen@2026-11-27T09:00Z' }] },
      ],
    });
    as.on(TagResourceCommand).resolves({});
    const sent: { message: { warned: { builder: string; creator?: string }[] } }[] = [];
    const looked: string[] = [];
    const out = await sweepBatch(
      input(undefined, { ...POLICY, notify: { topicArn: TOPIC } }),
      sweepDeps({
        notifier: { publish: async (n) => void sent.push(n as unknown as (typeof sent)[number]) },
        creatorOf: async (_a, _r, b) => {
          looked.push(b);
          return undefined;
        },
      }),
    );
    expect(out.scopes[0].rows.map((r) => [r.builder, r.action, r.creator])).toEqual([
      ['alices', 'warn', ALICE],
      ['unknown', 'warn', undefined],
    ]);
    expect(sent[0].message.warned).toEqual([
      expect.objectContaining({ builder: 'alices', creator: ALICE }),
      expect.not.objectContaining({ creator: expect.anything() }),
    ]);
    // The tag answers; a lookup only where it is missing.
    expect(looked).toEqual(['unknown']);
  });

  it('retries a throttled call beyond the SDK before giving up, then reports only that scope failed', async () => {
    as.on(DescribeImageBuildersCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .resolves({ ImageBuilders: [] });
    const slept: number[] = [];
    const ok = await sweepBatch(input(), sweepDeps({ sleep: async (ms) => void slept.push(ms) }));
    expect(ok.scopes[0].error).toBeUndefined();
    expect(slept).toHaveLength(2);

    as.reset();
    as.on(DescribeImageBuildersCommand).rejects(throttled());
    const other = new AppStreamClient({ region: 'eu-west-1', maxAttempts: 1 });
    mockClient(other).on(DescribeImageBuildersCommand).resolves({ ImageBuilders: [] });
    const failed = await sweepBatch(
      input([
        { account: '123456789012', region: 'us-east-1' },
        { account: '123456789012', region: 'eu-west-1' },
      ]),
      sweepDeps({ appstream: (_a, r) => (r === 'eu-west-1' ? other : appstream) }),
    );
    expect(failed.scopes[0].error).toMatch(/AwsTransientError: DescribeImageBuilders: ThrottlingException/);
    expect(failed.scopes[1].error).toBeUndefined();
  });

  it('reports a scope whose role cannot be assumed, the others finish', async () => {
    as.on(DescribeImageBuildersCommand).resolves({ ImageBuilders: [] });
    const { scopes } = await sweepBatch(
      input([
        {
          account: '111122223333',
          region: 'us-east-1',
          roleArn: 'arn:aws:iam::111122223333:role/x',
        } as never,
        { account: '123456789012', region: 'us-east-1' },
      ]),
      sweepDeps({
        appstream: (account) => {
          if (account === '111122223333')
            throw Object.assign(new Error('not authorized to perform: sts:AssumeRole'), {
              name: 'AccessDenied',
            });
          return appstream;
        },
      }),
    );
    expect(scopes[0].error).toMatch(/^AccessDenied: /);
    expect(scopes[1].error).toBeUndefined();
  });

  it('past its deadline acts no more: the due actions left are deferred', async () => {
    // The clock passes the deadline once the builders are listed (a slow scope).
    let t = NOW;
    as.on(DescribeImageBuildersCommand).callsFake(async () => {
      t = NOW + 1;
      return {
        ImageBuilders: [
          { Name: 'due', Arn: arn('due'), State: 'RUNNING', CreatedTime: new Date(NOW - 10 * H) },
        ],
      };
    });
    tg.on(GetResourcesCommand).resolves({
      ResourceTagMappingList: [
        {
          ResourceARN: arn('due'),
          Tags: [
            {
              Key: TAG.cleanup,
              Value: 'stop@2026-11-27T11:00Z warned@2026-11-27T09:00Z seen@2026-11-27T02:00Z',
            },
          ],
        },
      ],
    });
    const { scopes } = await sweepBatch(
      { ...input(), deadline: new Date(NOW + 1).toISOString() },
      sweepDeps({ clock: { now: () => t } }),
    );
    expect(scopes[0].rows[0]).toMatchObject({ builder: 'due', action: 'stop', result: 'deferred' });
    expect(scopes[0].counts).toMatchObject({ stop: 1, deferred: 1 });
    expect(as.commandCalls(StopImageBuilderCommand)).toHaveLength(0);
    await expect(sweepBatch({ ...input(), deadline: 'soon' }, sweepDeps())).rejects.toThrow(/deadline/);
  });

  it('re-checks before a stop: a connection recorded since the listing (fresh tags) prevents it', async () => {
    const due = {
      Name: 'due',
      Arn: arn('due'),
      State: 'RUNNING' as const,
      CreatedTime: new Date(NOW - 10 * H),
    };
    const mark = 'stop@2026-11-27T11:00Z warned@2026-11-27T09:00Z seen@2026-11-27T02:00Z';
    as.on(DescribeImageBuildersCommand).resolves({ ImageBuilders: [due] });
    // The bulk index still has the old tags; the builder itself has the fresh connection.
    tg.on(GetResourcesCommand).resolves({
      ResourceTagMappingList: [{ ResourceARN: arn('due'), Tags: [{ Key: TAG.cleanup, Value: mark }] }],
    });
    as.on(ListTagsForResourceCommand).resolves({
      Tags: { [TAG.cleanup]: mark, [TAG.lastConnection]: '2026-11-27T11:50Z' },
    });
    const { scopes } = await sweepBatch(input(), sweepDeps());
    expect(scopes[0].rows[0]).toMatchObject({ builder: 'due', action: 'stop', result: 'skipped' });
    expect(scopes[0].rows[0].error).toMatch(/re-checked before stop: now none/);
    expect(as.commandCalls(StopImageBuilderCommand)).toHaveLength(0);
    // The fresh decision's withdrawal of the warning is written (active again).
    expect(as.commandCalls(TagResourceCommand).map((c) => c.args[0].input.Tags)).toEqual([
      { [TAG.cleanup]: 'seen@2026-11-27T02:00Z' },
    ]);
  });

  it('looks up the pipeline run of its own deployment and leaves a RUNNING run its builder', async () => {
    as.on(DescribeImageBuildersCommand).resolves({
      ImageBuilders: [
        { Name: 'owned', Arn: arn('owned'), State: 'RUNNING', CreatedTime: new Date(NOW - 10 * H) },
        { Name: 'done', Arn: arn('done'), State: 'RUNNING', CreatedTime: new Date(NOW - 10 * H) },
      ],
    });
    const mark = 'stop@2026-11-27T11:00Z warned@2026-11-27T09:00Z seen@2026-11-27T02:00Z';
    tg.on(GetResourcesCommand).resolves({
      ResourceTagMappingList: ['owned', 'done'].map((n) => ({
        ResourceARN: arn(n),
        Tags: [
          { Key: TAG.execution, Value: `run-${n}` },
          { Key: TAG.deployment, Value: 'prod' },
          { Key: TAG.cleanup, Value: mark },
        ],
      })),
    });
    as.on(ListTagsForResourceCommand).resolves({
      Tags: { [TAG.execution]: 'run-done', [TAG.deployment]: 'prod', [TAG.cleanup]: mark },
    });
    const asked: string[] = [];
    const { scopes } = await sweepBatch(
      input(),
      sweepDeps({
        executionStatus: async (e) => {
          asked.push(e);
          return e === 'run-owned' ? 'RUNNING' : 'SUCCEEDED';
        },
      }),
    );
    expect(asked.sort()).toEqual(['run-done', 'run-owned']);
    expect(scopes[0].rows.map((r) => [r.builder, r.action])).toEqual([
      ['owned', 'skip'],
      ['done', 'stop'],
    ]);
    expect(as.commandCalls(StopImageBuilderCommand).map((c) => c.args[0].input.Name)).toEqual(['done']);
  });

  it('returns only notable rows without detail (the payload stays small), counting all', async () => {
    as.on(DescribeImageBuildersCommand).resolves({
      ImageBuilders: Array.from({ length: 30 }, (_, i) => ({
        Name: `b${i}`,
        Arn: arn(`b${i}`),
        State: 'RUNNING',
        CreatedTime: new Date(NOW - H),
      })),
    });
    tg.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [] });
    const { scopes } = await sweepBatch({ ...input(), detail: false }, sweepDeps());
    expect(scopes[0].rows).toEqual([]);
    expect(scopes[0].counts.none).toBe(30);
    expect(as.commandCalls(TagResourceCommand)).toHaveLength(30);
  });
});

describe('plan: scopes, batches and the overlap guard', () => {
  it('acts on the own account without scope.accounts, others through their role', () => {
    const own = validateCleanupPolicy({ ...POLICY, scope: { regions: ['us-east-1', 'eu-west-1'] } });
    expect(targetsOf(own, '123456789012')).toEqual([
      { account: '123456789012', region: 'us-east-1' },
      { account: '123456789012', region: 'eu-west-1' },
    ]);
    const cross = validateCleanupPolicy({
      ...POLICY,
      scope: {
        regions: ['us-east-1'],
        accounts: [{ id: '123456789012' }, { id: '111122223333', externalId: 'xyz' }],
      },
    });
    expect(targetsOf(cross, '123456789012')).toEqual([
      { account: '123456789012', region: 'us-east-1' },
      {
        account: '111122223333',
        region: 'us-east-1',
        roleArn: 'arn:aws:iam::111122223333:role/autopilot-cleanup',
        externalId: 'xyz',
      },
    ]);
  });

  it('batches 800 account-regions 25 at a time', () => {
    const batches = batchesOf(Array.from({ length: 800 }, (_, i) => i));
    expect(batches).toHaveLength(32);
    expect(batches.every((b) => b.length === 25)).toBe(true);
  });

  it('skips while an earlier run of the state machine is still RUNNING', async () => {
    const self = 'arn:aws:states:us-east-1:123456789012:execution:cleanup:b';
    const running = [
      { name: 'a', startDate: NOW - 15 * 60_000 },
      { name: 'b', arn: self, startDate: NOW },
    ];
    const plan = await planCleanup(
      { policy: POLICY, execution: self },
      sweepDeps({ executions: { running: async () => running } }),
    );
    expect(plan.skip).toMatch(/run a .* is still going/);
    expect(plan.batches).toEqual([]);
    const alone = await planCleanup(
      { policy: POLICY, execution: self },
      sweepDeps({ executions: { running: async () => [running[1]] } }),
    );
    expect(alone.skip).toBeUndefined();
    expect(alone.batches).toEqual([[{ account: '123456789012', region: 'us-east-1' }]]);
  });
});

describe('capRows: the Map output stays within 256 KiB', () => {
  it('keeps at most 20 rows a batch, counting the rest', () => {
    const rows = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        account: '123456789012',
        region: 'us-east-1',
        builder: `b${i}`,
        state: 'RUNNING',
        action: 'warn' as const,
        reason: 'r',
      }));
    const scope = (n: number) => ({
      account: '123456789012',
      region: 'us-east-1',
      connectionSignal: true,
      counts: { warn: n },
      rows: rows(n),
      reads: 1,
      writes: n,
    });
    const { scopes } = capRows({ scopes: [scope(15), scope(10), scope(3)] });
    expect(scopes.map((s) => [s.rows.length, s.omitted])).toEqual([
      [15, undefined],
      [5, 5],
      [0, 3],
    ]);
  });
});
