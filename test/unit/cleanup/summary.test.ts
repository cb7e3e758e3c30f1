import { describe, expect, it } from 'vitest';
import type { CleanupDeps } from '../../../lib/cleanup/deps';
import { summarize } from '../../../lib/cleanup/summary';
import type { CleanupDecisionRow, ScopeResult } from '../../../lib/cleanup/sweep';
import { connectionSignalFrom } from '../../../lib/lambda/cleanup-deps';
import { MemoryNotifier } from '../../../lib/notify/sns';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:cleanup';
const POLICY = {
  warnAfter: '2h',
  stopAfter: '4h',
  scope: { regions: ['us-east-1'] },
  notify: { topicArn: TOPIC },
};
const A = '123456789012';
const B = '111122223333';
const row = (
  builder: string,
  action: CleanupDecisionRow['action'],
  extra: Partial<CleanupDecisionRow> = {},
) =>
  ({
    account: A,
    region: 'us-east-1',
    builder,
    state: 'RUNNING',
    action,
    reason: `why ${builder}`,
    ...extra,
  }) as CleanupDecisionRow;
const scope = (rows: CleanupDecisionRow[], extra: Partial<ScopeResult> = {}): ScopeResult => {
  const counts: Record<string, number> = {};
  for (const r of rows) counts[r.action] = (counts[r.action] ?? 0) + 1;
  return {
    account: A,
    region: 'us-east-1',
    connectionSignal: true,
    counts,
    rows,
    reads: 2,
    writes: 1,
    ...extra,
  };
};
const deps = (notifier = new MemoryNotifier()): CleanupDeps & { notifier: MemoryNotifier } => ({
  deployment: 'prod',
  region: 'us-east-1',
  appstream: () => {
    throw new Error('not used');
  },
  clock: { now: () => 0 },
  notifier,
});

describe('summarize: counts, failed scopes, notification', () => {
  it('counts per action and scope, reports a failed batch by its scopes and notifies about what was done', async () => {
    const d = deps();
    const out = await summarize(
      {
        at: '2026-11-27T12:00:00.000Z',
        dryRun: false,
        policy: POLICY,
        batches: [
          [{ account: A, region: 'us-east-1' }],
          [{ account: B, region: 'us-east-1', roleArn: `arn:aws:iam::${B}:role/autopilot-cleanup` }],
        ],
        results: [
          {
            scopes: [
              scope([
                row('w', 'warn', {
                  result: 'applied',
                  notify: true,
                  creator: 'arn:aws:iam::123456789012:user/ann',
                }),
                row('s', 'stop', { result: 'applied', notify: true }),
                row('quiet', 'stop', { result: 'applied', notify: false }),
                row('n', 'none'),
              ]),
            ],
          },
          { error: { Error: 'States.Timeout', Cause: 'timed out' } },
        ],
      },
      d,
    );
    expect(out.summary.counts).toEqual({ warn: 1, stop: 2, none: 1 });
    expect(out.summary.failedScopes).toEqual([
      { account: B, region: 'us-east-1', error: 'batch failed: States.Timeout: timed out' },
    ]);
    expect(out.summary.perScope.map((s) => s.account)).toEqual([A, B]);
    expect(d.notifier.sent).toHaveLength(1);
    const n = d.notifier.sent[0];
    expect(n.topicArn).toBe(TOPIC);
    expect(n.subject).toBe(
      'appstream-autopilot idle builder cleanup: 1 stopped, 0 deleted, 1 scope(s) failed',
    );
    // Warnings went out from the Sweep, before their marks: not repeated here.
    expect(n.message.warned).toBeUndefined();
    // Opted out of notifications (no-notify): acted on, not listed.
    expect((n.message.stopped as { builder: string }[]).map((b) => b.builder)).toEqual(['s']);
  });

  it('reports failed stops and deletes in the notification: listed under `failed` with their error, counted in the subject', async () => {
    const d = deps();
    const out = await summarize(
      {
        at: '2026-11-27T12:00:00.000Z',
        dryRun: false,
        policy: { ...POLICY, deleteStoppedAfter: '2d' },
        batches: [[{ account: A, region: 'us-east-1' }]],
        results: [
          {
            scopes: [
              scope([
                row('s', 'stop', { result: 'applied', notify: true }),
                row('sf', 'stop', {
                  result: 'failed',
                  notify: true,
                  error: 'AwsTransientError: ThrottlingException (retried next run)',
                }),
                row('df', 'delete', {
                  state: 'STOPPED',
                  result: 'failed',
                  notify: true,
                  error: 'AccessDeniedException: not authorized (retried next run)',
                }),
                // Opted out of notifications (no-notify): not listed, failed or not.
                row('quiet', 'stop', { result: 'failed', notify: false, error: 'X: y' }),
                // Past the deadline: decided again next run, not a failure.
                row('later', 'stop', {
                  result: 'deferred',
                  notify: true,
                  error: "past the sweep's deadline",
                }),
              ]),
            ],
          },
        ],
      },
      d,
    );
    expect(d.notifier.sent).toHaveLength(1);
    const n = d.notifier.sent[0];
    expect(n.subject).toBe('appstream-autopilot idle builder cleanup: 1 stopped, 0 deleted, 2 failed');
    const failed = [...(n.message.failed as { builder: string }[])].sort((x, y) =>
      x.builder.localeCompare(y.builder),
    );
    expect(failed).toEqual([
      {
        builder: 'df',
        account: A,
        region: 'us-east-1',
        action: 'delete',
        error: 'AccessDeniedException: not authorized (retried next run)',
      },
      {
        builder: 'sf',
        account: A,
        region: 'us-east-1',
        action: 'stop',
        error: 'AwsTransientError: ThrottlingException (retried next run)',
      },
    ]);
    // Only what was done is listed as stopped or deleted.
    expect((n.message.stopped as { builder: string }[]).map((b) => b.builder)).toEqual(['s']);
    expect(n.message.deleted).toEqual([]);
    expect(out.summary.notification).toMatchObject({ topicArn: TOPIC });
  });

  it('notifies about a failed stop even when nothing else happened', async () => {
    const d = deps();
    await summarize(
      {
        at: 'x',
        dryRun: false,
        policy: POLICY,
        batches: [[{ account: A, region: 'us-east-1' }]],
        results: [
          { scopes: [scope([row('sf', 'stop', { result: 'failed', notify: true, error: 'E: boom' })])] },
        ],
      },
      d,
    );
    expect(d.notifier.sent.map((m) => m.subject)).toEqual([
      'appstream-autopilot idle builder cleanup: 0 stopped, 0 deleted, 1 failed',
    ]);
  });

  it('says nothing when nothing was done, and nothing in a dry run', async () => {
    const quiet = deps();
    await summarize(
      {
        at: 'x',
        dryRun: false,
        policy: POLICY,
        batches: [[{ account: A, region: 'us-east-1' }]],
        results: [{ scopes: [scope([row('n', 'none')])] }],
      },
      quiet,
    );
    expect(quiet.notifier.sent).toEqual([]);
    const dry = deps();
    await summarize(
      {
        at: 'x',
        dryRun: true,
        policy: POLICY,
        batches: [[{ account: A, region: 'us-east-1' }]],
        results: [{ scopes: [scope([row('w', 'warn', { result: 'dry-run', notify: true })])] }],
      },
      dry,
    );
    expect(dry.notifier.sent).toEqual([]);
  });

  it('lists the scopes without a connection signal', async () => {
    const out = await summarize(
      {
        at: 'x',
        dryRun: false,
        policy: POLICY,
        batches: [[{ account: A, region: 'us-east-1' }]],
        results: [{ scopes: [scope([], { connectionSignal: false })] }],
      },
      deps(),
    );
    expect(out.summary.withoutConnectionSignal).toEqual([`${A}/us-east-1`]);
  });

  it('says why a run stopped nothing (warn-only: nobody subscribed) and which scopes were deferred', async () => {
    const why = `topic ${TOPIC} has no confirmed subscription`;
    const out = await summarize(
      {
        at: 'x',
        dryRun: false,
        policy: POLICY,
        batches: [[{ account: A, region: 'us-east-1' }], [{ account: B, region: 'us-east-1' }]],
        results: [
          { scopes: [scope([row('b1', 'none')], { warnOnly: why })] },
          { scopes: [scope([], { account: B, deferred: "past the sweep's deadline" })] },
        ],
      },
      deps(),
    );
    expect(out.summary.warnOnly).toBe(why);
    expect(out.summary.deferredScopes).toEqual([`${B}/us-east-1`]);
    expect(out.summary.perScope[0].warnOnly).toBe(why);
  });
});

describe('CLEANUP_CONNECTION_SIGNAL', () => {
  it('empty: nowhere (nothing checks for a trail); `home`: the deployment’s own account and region', () => {
    expect(connectionSignalFrom('', { account: A, region: 'eu-west-1' })(A, 'eu-west-1')).toBe(false);
    const signal = connectionSignalFrom('home', { account: A, region: 'eu-west-1' });
    expect(signal(A, 'eu-west-1')).toBe(true);
    expect(signal(A, 'us-east-1')).toBe(false);
    expect(signal(B, 'eu-west-1')).toBe(false);
  });
  it('reads account/region, region, account/* and *', () => {
    const signal = connectionSignalFrom(`${B}/us-east-1, eu-west-1 ${A}/*`, {
      account: A,
      region: 'eu-west-1',
    });
    expect([
      signal(B, 'us-east-1'),
      signal(B, 'eu-west-1'),
      signal(A, 'ap-south-1'),
      signal(B, 'ap-south-1'),
    ]).toEqual([true, true, true, false]);
    expect(connectionSignalFrom('*', { region: 'x' })(B, 'sa-east-1')).toBe(true);
    expect(() => connectionSignalFrom('nowhere', { region: 'x' })).toThrow(
      /CLEANUP_CONNECTION_SIGNAL: 'nowhere'/,
    );
  });
});
