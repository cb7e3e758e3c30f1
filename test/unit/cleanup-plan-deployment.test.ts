import { describe, expect, it } from 'vitest';
import type { CleanupDeps } from '../../lib/cleanup/deps';
import {
  planCleanup,
  RESULTS_BYTES,
  SWEEP_LAMBDA_TIMEOUT_SECONDS,
  SWEEP_WINDOW_SECONDS,
} from '../../lib/cleanup/plan';

const NOW = Date.parse('2026-11-27T12:00:30Z');
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:cleanup';
const deps = (extra: Partial<CleanupDeps> = {}): CleanupDeps =>
  ({
    deployment: 'prod',
    region: 'us-east-1',
    account: '123456789012',
    appstream: () => {
      throw new Error('no AppStream in Plan');
    },
    clock: { now: () => NOW },
    ...extra,
  }) as CleanupDeps;
const policy = (notify?: { topicArn: string }) => ({
  warnAfter: '2h',
  stopAfter: '4h',
  scope: { regions: ['us-east-1', 'eu-west-1'] },
  // notify is required unless dryRun (none: warnings by tags only).
  notify: notify ?? 'none',
});

describe('Plan: what the deployment fixes', () => {
  it('gives every Sweep a deadline counted from the execution’s start, so no Sweep outlives it', async () => {
    const plan = await planCleanup({ policy: policy(), startedAt: '2026-11-27T12:00:00.000Z' }, deps());
    expect(plan.deadline).toBe(
      new Date(Date.parse('2026-11-27T12:00:00Z') + SWEEP_WINDOW_SECONDS * 1000).toISOString(),
    );
    expect(SWEEP_WINDOW_SECONDS + SWEEP_LAMBDA_TIMEOUT_SECONDS).toBeLessThanOrEqual(840);
    // No start known (a direct call): counted from Plan's now.
    const direct = await planCleanup({ policy: policy() }, deps());
    expect(Date.parse(direct.deadline)).toBe(NOW + SWEEP_WINDOW_SECONDS * 1000);
  });

  it('shares the payload quota between the batches', async () => {
    const plan = await planCleanup({ policy: policy(), batchSize: 1 }, deps());
    expect(plan.batches).toHaveLength(2);
    expect(plan.resultBytes).toBe(RESULTS_BYTES / 2);
  });

  it('fails the run with a ConfigError naming notify.topicArn when it is not the deployment’s topic', async () => {
    const other = 'arn:aws:sns:us-east-1:123456789012:other';
    await expect(
      planCleanup({ policy: policy({ topicArn: other }) }, deps(), { topicArn: TOPIC }),
    ).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringMatching(/notify\.topicArn .*other.* cleanupTopicArn/),
    });
    // The deployment declares no topic: publishing anywhere would be refused.
    await expect(
      planCleanup({ policy: policy({ topicArn: TOPIC }) }, deps(), { topicArn: '' }),
    ).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringMatching(/notify\.topicArn .*declares no topic/),
    });
    // The same topic, no notify, or not a deployed run (no CLEANUP_TOPIC_ARN): planned.
    await expect(
      planCleanup({ policy: policy({ topicArn: TOPIC }) }, deps(), { topicArn: TOPIC }),
    ).resolves.toMatchObject({ scopes: 2 });
    await expect(planCleanup({ policy: policy() }, deps(), { topicArn: TOPIC })).resolves.toMatchObject({
      scopes: 2,
    });
    await expect(planCleanup({ policy: policy({ topicArn: TOPIC }) }, deps())).resolves.toMatchObject({
      scopes: 2,
    });
  });
});
