/**
 * Safety review of issue 9 (review9.md): one spec per defect. Each reads as the rule it pins.
 */
import {
  AppStreamClient,
  DeleteImageBuilderCommand,
  DescribeImageBuildersCommand,
  StopImageBuilderCommand,
  TagResourceCommand,
} from '@aws-sdk/client-appstream';
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { GetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { fitBytes } from '../../../functions/cleanup-sweep';
import { aws } from '../../../lib/aws/call';
import { act } from '../../../lib/cleanup/act';
import { type BuilderFacts, type CleanupSignals, decide } from '../../../lib/cleanup/decide';
import type { CleanupDeps } from '../../../lib/cleanup/deps';
import { DAY, HOUR, MINUTE } from '../../../lib/cleanup/duration';
import { formatMark, optOut, parseMark } from '../../../lib/cleanup/marks';
import { validateCleanupPolicy } from '../../../lib/cleanup/policy';
import { type CleanupDecisionRow, capRows, type ScopeResult, sweepBatch } from '../../../lib/cleanup/sweep';
import { connectionSignalFrom, topicReach } from '../../../lib/lambda/cleanup-deps';
import { keepActive, TAG } from '../../../lib/tags';
import { builder, marked, POLICY, policyOf, SIGNALS, T0, WARNED } from './decide-fixtures';
import { ACCOUNT, arn, as, NOW, sweepDeps, tg } from './sweep-fixtures';

/** Applies a decision's tag changes the way act does. */
const applied = (tags: Record<string, string>, d: ReturnType<typeof decide>) => {
  const out = { ...tags };
  for (const k of d.tags?.remove ?? []) delete out[k];
  return { ...out, ...(d.tags?.set ?? {}) };
};

describe('1. a pipeline run this deployment cannot see owns its builder', () => {
  it('skips a builder whose TAG.execution is NOT_FOUND in our state machine (a twin stack elsewhere)', () => {
    const tags = { ...WARNED, [TAG.pipeline]: 'office', [TAG.execution]: 'office-run-9' };
    const d = decide(builder(), tags, POLICY, T0 + DAY, { ...SIGNALS, executionStatus: () => 'NOT_FOUND' });
    expect(d.action).toBe('skip');
    expect(d.reason).toContain(
      "owned by pipeline run office-run-9, which this deployment cannot see: left to that pipeline's own backstop",
    );
  });

  it('skips when the status look-up failed (UNKNOWN)', () => {
    const tags = { ...WARNED, [TAG.execution]: 'office-run-9' };
    const d = decide(builder(), tags, POLICY, T0 + DAY, { ...SIGNALS, executionStatus: () => 'UNKNOWN' });
    expect(d.action).toBe('skip');
  });
});

describe('2. the connection signal is assumed nowhere unless listed', () => {
  const home = { account: '111122223333', region: 'eu-west-1' };
  it('empty: no scope has the signal, not even the home account and region', () => {
    const signal = connectionSignalFrom('', home);
    expect(signal('111122223333', 'eu-west-1')).toBe(false);
    expect(connectionSignalFrom(undefined, home)('111122223333', 'eu-west-1')).toBe(false);
  });
  it('`home` names this deployment’s account and region only', () => {
    const signal = connectionSignalFrom('home', home);
    expect(signal('111122223333', 'eu-west-1')).toBe(true);
    expect(signal('111122223333', 'us-east-1')).toBe(false);
    expect(signal('444455556666', 'eu-west-1')).toBe(false);
  });
  it('without the signal (warn-only), an idle builder is warned and never stopped', () => {
    const d = decide(builder(), WARNED, POLICY, T0 + DAY, { connectionSignal: false });
    expect(d.action).not.toBe('stop');
  });
});

describe('3. a skip that is not the way out withdraws an announced plan and restarts the idle clock', () => {
  it.each(['REBOOTING', 'UPDATING_AGENT', 'PENDING', 'PENDING_QUALIFICATION', 'SNAPSHOTTING'])(
    'a warned builder seen %s: plan and warning withdrawn, started@now; back RUNNING it is not stopped',
    (state) => {
      const now = T0 + DAY;
      const d = decide(builder(state), WARNED, POLICY, now, SIGNALS);
      expect(d.action).toBe('skip');
      const mark = parseMark(d.tags?.set[TAG.cleanup]);
      expect(mark).toEqual({ seen: T0, started: now });
      // The next run finds it RUNNING again: no stop in that run, and a fresh warning only after warnAfter.
      const back = decide(builder(), applied(WARNED, d), POLICY, now + 15 * MINUTE, SIGNALS);
      expect(back.action).toBe('none');
      const later = decide(builder(), applied(WARNED, d), POLICY, now + 2 * HOUR, SIGNALS);
      expect(later.action).toBe('warn');
    },
  );

  it.each(['STOPPING', 'DELETING'])('a %s builder (on its way out) keeps its mark', (state) => {
    const d = decide(builder(state), WARNED, POLICY, T0 + DAY, SIGNALS);
    expect(d.action).toBe('skip');
    expect(d.tags).toBeUndefined();
  });

  it('a pipeline run owning the builder, or an exclusion, withdraws the plan too', () => {
    const owned = { ...WARNED, [TAG.execution]: 'office-run-7' };
    const d = decide(builder(), owned, POLICY, T0 + DAY, { ...SIGNALS, executionStatus: () => 'RUNNING' });
    expect(parseMark(d.tags?.set[TAG.cleanup])).toEqual({ seen: T0, started: T0 + DAY });
    const excluded = policyOf({ scope: { regions: ['eu-west-1'], exclude: { namePrefix: 'dev-' } } });
    const e = decide(builder(), WARNED, excluded, T0 + DAY, SIGNALS);
    expect(e.action).toBe('skip');
    expect(parseMark(e.tags?.set[TAG.cleanup])).toEqual({ seen: T0, started: T0 + DAY });
  });

  it('a skip of a builder without a plan writes nothing', () => {
    const d = decide(builder('REBOOTING'), marked({ seen: T0 }), POLICY, T0 + DAY, SIGNALS);
    expect(d.tags).toBeUndefined();
  });
});

describe('4. a pipeline builder (TAG.pipeline) is stopped only, never deleted', () => {
  it('no delete warning nor delete however long it is stopped, and an old delete plan is withdrawn', () => {
    const tags = marked(
      { seen: T0, stopped: T0, warned: T0 + 29 * DAY, plan: { op: 'delete', at: T0 + 30 * DAY } },
      { [TAG.pipeline]: 'office' },
    );
    const d = decide(builder('STOPPED'), tags, POLICY, T0 + 60 * DAY, SIGNALS);
    expect(d.action).toBe('none');
    expect(d.reason).toContain(
      'builder of pipeline office (autopilot:pipeline): stopped only, never deleted',
    );
    expect(parseMark(d.tags?.set[TAG.cleanup])).toEqual({ seen: T0, stopped: T0 });
  });
  it('it is still warned and stopped when idle', () => {
    const d = decide(builder(), { ...WARNED, [TAG.pipeline]: 'office' }, POLICY, T0 + DAY, SIGNALS);
    expect(d.action).toBe('stop');
  });
});

describe('7. opt-out: the key trimmed and case-insensitive, a date through the end of that day', () => {
  it.each(['Autopilot:Keep', 'autopilot:keep ', 'AUTOPILOT:KEEP'])('%s=true keeps the builder', (key) => {
    const d = decide(builder(), { ...WARNED, [key]: 'true' }, POLICY, T0 + DAY, SIGNALS);
    expect(d.action).toBe('skip');
    expect(d.reason).toContain('opted out');
  });
  it('a date keeps through 23:59 UTC of that day and ends at midnight after it', () => {
    expect(optOut('2026-12-31', Date.parse('2026-12-31T12:00:00Z')).stop).toBe(false);
    expect(optOut('2026-12-31', Date.parse('2026-12-31T23:59:00Z')).stop).toBe(false);
    expect(optOut('2026-12-31', Date.parse('2027-01-01T00:00:00Z')).stop).toBe(true);
    expect(keepActive('2026-12-31', Date.parse('2026-12-31T12:00:00Z'))).toBe(true);
    expect(keepActive('2026-12-31', Date.parse('2027-01-01T00:00:00Z'))).toBe(false);
  });
});

describe('8a. the policy refuses warnings that reach nobody, and a sessionGrace under 30m', () => {
  const base = { warnAfter: '2h', stopAfter: '4h', scope: { regions: ['eu-west-1'] } };
  const topicArn = 'arn:aws:sns:eu-west-1:111122223333:cleanup';
  it('notify.actions without warn is refused, naming the field, unless dryRun', () => {
    expect(() => validateCleanupPolicy({ ...base, notify: { topicArn, actions: ['stop'] } })).toThrow(
      /notify\.actions: must include warn/,
    );
    expect(
      validateCleanupPolicy({ ...base, dryRun: true, notify: { topicArn, actions: ['stop'] } }).dryRun,
    ).toBe(true);
  });
  it('sessionGrace below 30m is refused, naming the field', () => {
    expect(() => validateCleanupPolicy({ ...base, notify: 'none', sessionGrace: '0m' })).toThrow(
      /sessionGrace: must be at least 30m/,
    );
    expect(validateCleanupPolicy({ ...base, notify: 'none', sessionGrace: '30m' }).sessionGrace).toBe(
      30 * MINUTE,
    );
  });
});

describe('11. presence never lets a warn-only scope stop (any builder role can write any heartbeat key)', () => {
  const signals: CleanupSignals = { connectionSignal: false };
  it('a heartbeat from before the last start does not allow a stop in a warn-only scope', () => {
    const start = T0 + 5 * HOUR;
    const tags = {
      ...marked({ seen: T0, warned: start + 2 * HOUR, plan: { op: 'stop', at: start + 4 * HOUR } }),
      [TAG.lastConnection]: `presence@2026-11-26T11:00Z started@2026-11-26T15:00Z`,
    };
    const d = decide(builder(), tags, POLICY, start + DAY, signals);
    expect(d.action).not.toBe('stop');
    expect(d.reason).toContain('never stopped');
  });
  it('nor does a heartbeat since the last start', () => {
    const tags = {
      ...WARNED,
      [TAG.lastConnection]: `presence@2026-11-26T10:30Z`,
    };
    const d = decide(builder(), tags, POLICY, T0 + DAY, signals);
    expect(d.action).toBe('none');
    expect(d.reason).toContain('never stopped');
  });
});

// ---- sweep, act, payload -------------------------------------------------------------------

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:cleanup';
const published: unknown[] = [];
const notifier: CleanupDeps['notifier'] = { publish: async (n) => void published.push(n) };
const sweepInput = (extra: Record<string, unknown> = {}) => ({
  at: new Date(NOW).toISOString(),
  dryRun: false,
  detail: true,
  policy: {
    warnAfter: '2h',
    stopAfter: '4h',
    notify: { topicArn: TOPIC },
    scope: { regions: ['us-east-1'] },
  },
  targets: [{ account: ACCOUNT, region: 'us-east-1' }],
  ...extra,
});
/** Two builders: `due` warned long ago (stop due), `idle` idle past warnAfter, not yet warned. */
function twoBuilders() {
  as.on(DescribeImageBuildersCommand).resolves({
    ImageBuilders: [
      { Name: 'due', Arn: arn('due'), State: 'RUNNING', CreatedTime: new Date(NOW - 10 * HOUR) },
      { Name: 'idle', Arn: arn('idle'), State: 'RUNNING', CreatedTime: new Date(NOW - 10 * HOUR) },
    ],
  });
  tg.on(GetResourcesCommand).resolves({
    ResourceTagMappingList: [
      {
        ResourceARN: arn('due'),
        Tags: [
          {
            Key: TAG.cleanup,
            Value: formatMark({
              seen: NOW - 10 * HOUR,
              warned: NOW - 3 * HOUR,
              plan: { op: 'stop', at: NOW - HOUR },
            }),
          },
        ],
      },
      {
        ResourceARN: arn('idle'),
        Tags: [{ Key: TAG.cleanup, Value: formatMark({ seen: NOW - 10 * HOUR }) }],
      },
    ],
  });
}

describe('sweep safety', () => {
  beforeEach(() => {
    as.reset();
    tg.reset();
    published.length = 0;
  });

  it('8b. a topic without a confirmed subscription makes the run warn-only: no stop, no plan, the scope says why', async () => {
    twoBuilders();
    const why = `topic ${TOPIC} has no confirmed subscription`;
    const out = await sweepBatch(sweepInput(), sweepDeps({ notifier, notifyReach: async () => why }));
    const s = out.scopes[0];
    expect(s.warnOnly).toBe(why);
    expect(as.commandCalls(StopImageBuilderCommand)).toHaveLength(0);
    const due = s.rows.find((r) => r.builder === 'due')!;
    expect(due.action).toBe('none');
    expect(due.reason).toContain(`warn-only run: ${why}`);
    // The warning of `idle` announces no stop (a warning nobody got never leads to one later).
    const idle = s.rows.find((r) => r.builder === 'idle')!;
    expect(idle.action).toBe('warn');
    const tagged = as
      .commandCalls(TagResourceCommand)
      .find((c) => c.args[0].input.ResourceArn === arn('idle'))!;
    expect(parseMark(tagged.args[0].input.Tags![TAG.cleanup])?.plan).toBeUndefined();
  });

  it('8b. a failed subscription look-up is warn-only too', async () => {
    twoBuilders();
    const out = await sweepBatch(
      sweepInput(),
      sweepDeps({
        notifier,
        notifyReach: async () => {
          throw Object.assign(new Error('denied'), { name: 'AuthorizationErrorException' });
        },
      }),
    );
    expect(out.scopes[0].warnOnly).toContain('could not tell whether topic');
    expect(as.commandCalls(StopImageBuilderCommand)).toHaveLength(0);
  });

  it('8b. topicReach reads SubscriptionsConfirmed', async () => {
    const sns = new SNSClient({ region: 'us-east-1', maxAttempts: 1 });
    const m = mockClient(sns);
    m.on(GetTopicAttributesCommand)
      .resolvesOnce({ Attributes: { SubscriptionsConfirmed: '0', SubscriptionsPending: '1' } })
      .resolvesOnce({ Attributes: { SubscriptionsConfirmed: '2' } });
    expect(await topicReach(() => sns, TOPIC)).toContain('has no confirmed subscription');
    expect(await topicReach(() => sns, TOPIC)).toBeUndefined();
    expect(m.commandCalls(GetTopicAttributesCommand)[0].args[0].input).toEqual({ TopicArn: TOPIC });
  });

  it('9. a sweep at or after its deadline publishes nothing, lists nothing, acts on nothing', async () => {
    twoBuilders();
    const out = await sweepBatch(sweepInput({ deadline: NOW }), sweepDeps({ notifier }));
    expect(out.scopes[0].deferred).toContain("past the sweep's deadline");
    expect(out.scopes[0].rows).toEqual([]);
    expect(published).toEqual([]);
    expect(as.calls()).toHaveLength(0);
  });

  it('9. a deadline passing after the warnings went out: their marks are still written, the stop waits', async () => {
    twoBuilders();
    let t = NOW;
    const clock = { now: () => t };
    const out = await sweepBatch(
      sweepInput({ deadline: NOW + MINUTE }),
      sweepDeps({
        clock,
        notifier: {
          publish: async (n) => {
            published.push(n);
            t = NOW + 2 * MINUTE;
          },
        },
      }),
    );
    const rows = out.scopes[0].rows;
    expect(published).toHaveLength(1);
    expect(rows.find((r) => r.builder === 'idle')!.result).toBe('applied');
    expect(rows.find((r) => r.builder === 'due')!.result).toBe('deferred');
    expect(as.commandCalls(StopImageBuilderCommand)).toHaveLength(0);
  });

  it('minor: warned@ is when the warning was published (the sweep’s clock), not Plan’s `at`', async () => {
    twoBuilders();
    const publishedAt = NOW + 7 * MINUTE;
    await sweepBatch(sweepInput(), sweepDeps({ notifier, clock: { now: () => publishedAt } }));
    const tagged = as
      .commandCalls(TagResourceCommand)
      .find((c) => c.args[0].input.ResourceArn === arn('idle'))!;
    expect(parseMark(tagged.args[0].input.Tags![TAG.cleanup])?.warned).toBe(publishedAt);
  });
});

describe('6. a retried stop or delete whose first attempt went through counts as applied', () => {
  const client = new AppStreamClient({ region: 'us-east-1', maxAttempts: 1 });
  const mock = mockClient(client);
  const refused = (name: string) =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode: 400 } });
  const running: BuilderFacts = { name: 'b1', state: 'RUNNING', arn: arn('b1') };
  const stopTags = { set: { [TAG.cleanup]: 'stopped@2026-11-27T14:00Z' }, remove: [] };
  beforeEach(() => mock.reset());

  it.each(['STOPPING', 'STOPPED'])(
    'stop refused with OperationNotPermitted, builder now %s → applied, marks written',
    async (state) => {
      mock.on(StopImageBuilderCommand).rejects(refused('OperationNotPermittedException'));
      const out = await act(
        client,
        running,
        { action: 'stop', reason: 'idle', notify: true, tags: stopTags },
        { dryRun: false, call: aws, state: async () => state },
      );
      expect(out.result).toBe('applied');
      expect(mock.commandCalls(TagResourceCommand)[0].args[0].input.Tags).toEqual(stopTags.set);
    },
  );

  it('delete refused with ResourceNotFound, builder gone → applied', async () => {
    mock.on(DeleteImageBuilderCommand).rejects(refused('ResourceNotFoundException'));
    const out = await act(
      client,
      { ...running, state: 'STOPPED' },
      { action: 'delete', reason: 'stopped 30d', notify: true },
      { dryRun: false, call: aws, state: async () => undefined },
    );
    expect(out).toEqual({ result: 'applied', writes: 1 });
  });

  it('3. a re-check finding the builder rebooting writes the withdrawal (the next run cannot stop on the old warning)', async () => {
    const withdraw = {
      set: { [TAG.cleanup]: 'started@2026-11-27T12:00Z seen@2026-11-26T10:00Z' },
      remove: [],
    };
    const out = await act(
      client,
      running,
      { action: 'stop', reason: 'idle', notify: true, tags: stopTags },
      {
        dryRun: false,
        call: aws,
        recheck: async () => ({ action: 'skip', reason: 'REBOOTING: …', notify: false, tags: withdraw }),
      },
    );
    expect(out.result).toBe('skipped');
    expect(mock.commandCalls(StopImageBuilderCommand)).toHaveLength(0);
    expect(mock.commandCalls(TagResourceCommand).map((c) => c.args[0].input.Tags)).toEqual([withdraw.set]);
  });

  it('a stop refused while the builder is still RUNNING (someone else changed it) stays skipped', async () => {
    mock.on(StopImageBuilderCommand).rejects(refused('ConcurrentModificationException'));
    const out = await act(
      client,
      running,
      { action: 'stop', reason: 'idle', notify: true, tags: stopTags },
      { dryRun: false, call: aws, state: async () => 'RUNNING' },
    );
    expect(out.result).toBe('skipped');
    expect(mock.commandCalls(TagResourceCommand)).toHaveLength(0);
  });
});

describe('5 & 12. the payload budget always holds, and stops/deletes are the last rows cut', () => {
  const row = (builder: string, action: CleanupDecisionRow['action']): CleanupDecisionRow => ({
    account: ACCOUNT,
    region: 'us-east-1',
    builder,
    state: 'RUNNING',
    action,
    reason: 'x'.repeat(200),
  });
  const scope = (rows: CleanupDecisionRow[]): ScopeResult => ({
    account: ACCOUNT,
    region: 'us-east-1',
    connectionSignal: true,
    counts: {},
    rows,
    reads: 0,
    writes: 0,
  });

  it('capRows keeps stop and delete rows before warnings', () => {
    const warns = Array.from({ length: 5 }, (_, i) => row(`w${i}`, 'warn'));
    const out = capRows({ scopes: [scope(warns), scope([row('s1', 'stop'), row('d1', 'delete')])] }, 3);
    const kept = out.scopes.flatMap((s) => s.rows.map((r) => r.builder));
    expect(kept).toEqual(['w0', 's1', 'd1']);
    expect(out.scopes[0].omitted).toBe(4);
  });

  it('fitBytes leaves out warnings before any stop', () => {
    const rows = [row('s1', 'stop'), row('w1', 'warn'), row('w2', 'warn')];
    const full = { scopes: [scope(rows)] };
    const budget = Buffer.byteLength(JSON.stringify(full)) - 10;
    const out = fitBytes(full, budget);
    expect(out.scopes[0].rows.map((r) => r.builder)).toEqual(['s1', 'w1']);
    expect(Buffer.byteLength(JSON.stringify(out))).toBeLessThanOrEqual(budget);
  });

  it('the Sweep function fits its result to resultBytes even with detail: true', async () => {
    const { withDeps } = await import('../../../functions/cleanup-sweep');
    as.reset();
    tg.reset();
    as.on(DescribeImageBuildersCommand).resolves({
      ImageBuilders: Array.from({ length: 40 }, (_, i) => ({
        Name: `b${i}`,
        Arn: arn(`b${i}`),
        State: 'RUNNING',
        CreatedTime: new Date(NOW - HOUR),
      })),
    });
    tg.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [] });
    const handler = withDeps(sweepDeps({ notifier }));
    const out = (await handler({ ...sweepInput({ dryRun: true }), resultBytes: 2_000 })) as {
      scopes: ScopeResult[];
    };
    expect(Buffer.byteLength(JSON.stringify(out))).toBeLessThanOrEqual(2_000);
    expect(out.scopes[0].omitted).toBeGreaterThan(0);
  });
});
