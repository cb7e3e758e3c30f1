import { TagResourceCommand } from '@aws-sdk/client-appstream';
import { beforeEach, describe, expect, it } from 'vitest';
import { withDeps } from '../../../functions/cleanup-record-connection';
import { agentFromEnv } from '../../../lib/cleanup/recorder';
import { TAG } from '../../../lib/tags';
import {
  ACCOUNT,
  appstream,
  cloudTrailEvent,
  deps,
  REGION,
  resetRecorderMocks,
  tagStore,
} from './recorder-fixtures';

const BUCKET = 'autopilot-prod-agentbucket-1x2y3z';

const handler = withDeps({ ...deps, agent: { bucket: BUCKET, prefix: 'autopilot-agent' } });

/** userIdentity elements as CloudTrail records them (CloudTrail User Guide, "CloudTrail userIdentity element"). */
const IAM_USER = {
  type: 'IAMUser',
  principalId: 'AIDAJ45Q7YFFAREXAMPLE',
  arn: `arn:aws:iam::${ACCOUNT}:user/Alice`,
  accountId: ACCOUNT,
  userName: 'Alice',
};
const ASSUMED_ROLE = {
  type: 'AssumedRole',
  principalId: 'AROAIDPPEZS35WEXAMPLE:alice@example.com',
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/alice@example.com`,
  accountId: ACCOUNT,
  sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/Admin` } },
};
const ROOT = { type: 'Root', principalId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, accountId: ACCOUNT };

/** A CloudTrail record of `eventName` on builder b1, called by Alice (an IAM user) unless `detail` says. */
const cloudTrail = (eventName: string, eventTime: string, detail: Record<string, unknown> = {}) =>
  cloudTrailEvent(eventName, eventTime, { userIdentity: IAM_USER, ...detail });

/**
 * An S3 "Object Created" event as EventBridge delivers it (S3 User Guide, "EventBridge event
 * message structure", Object created), here for the builder agent's presence heartbeat.
 */
function s3Event(time: string, over: { bucket?: string; key?: string; detailType?: string } = {}) {
  const bucket = over.bucket ?? BUCKET;
  return {
    version: '0',
    id: `s3-${time}`,
    'detail-type': over.detailType ?? 'Object Created',
    source: 'aws.s3',
    account: ACCOUNT,
    time,
    region: REGION,
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: {
        key: over.key ?? 'autopilot-agent/b1/presence/heartbeat.json',
        size: 120,
        etag: 'b1946ac92492d2347c6235b4d2611184',
        sequencer: '00617F08299329D189',
      },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: ACCOUNT,
      'source-ip-address': '10.0.0.12',
      reason: 'PutObject',
    },
  };
}

beforeEach(resetRecorderMocks);

describe('Cleanup recorder: creation (CreateImageBuilder)', () => {
  it.each([
    ['an IAM user', IAM_USER, `arn:aws:iam::${ACCOUNT}:user/Alice`],
    // `@` is a tag character; nothing to replace in an assumed-role session ARN.
    ['an assumed role', ASSUMED_ROLE, `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/alice@example.com`],
    ['the root user', ROOT, `arn:aws:iam::${ACCOUNT}:root`],
  ])('records started@ and names the creator, %s', async (_who, userIdentity, creator) => {
    const tags = tagStore({ team: 'data' });
    const out = await handler(cloudTrail('CreateImageBuilder', '2026-11-27T08:54:10Z', { userIdentity }));
    expect(out).toMatchObject({
      builder: 'b1',
      action: 'recorded',
      reason: `start 2026-11-27T08:55Z; creator ${creator}`,
      value: 'started@2026-11-27T08:55Z',
    });
    expect(tags).toEqual({
      team: 'data',
      [TAG.lastConnection]: 'started@2026-11-27T08:55Z',
      [TAG.creator]: creator,
    });
  });

  it('makes an ARN with characters AWS refuses in a tag value a valid tag value', async () => {
    const tags = tagStore();
    const arn = `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/alice,o'brien`;
    await handler(
      cloudTrail('CreateImageBuilder', '2026-11-27T08:55:00Z', { userIdentity: { ...ASSUMED_ROLE, arn } }),
    );
    expect(tags[TAG.creator]).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/Admin/alice o brien`);
  });

  it('records the start without a creator when the record names none (an AWS service)', async () => {
    const tags = tagStore();
    const out = await handler(
      cloudTrail('CreateImageBuilder', '2026-11-27T08:55:00Z', {
        userIdentity: { type: 'AWSService', invokedBy: 'appstream.amazonaws.com' },
      }),
    );
    expect(out.reason).toBe('start 2026-11-27T08:55Z');
    expect(tags).toEqual({ [TAG.lastConnection]: 'started@2026-11-27T08:55Z' });
  });

  it('keeps the connection and presence tokens beside the start', async () => {
    const tags = tagStore({ [TAG.lastConnection]: '2026-11-27T09:00Z presence@2026-11-27T09:40Z' });
    await handler(cloudTrail('StartImageBuilder', '2026-11-27T10:00:00Z'));
    expect(tags[TAG.lastConnection]).toBe(
      '2026-11-27T09:00Z presence@2026-11-27T09:40Z started@2026-11-27T10:00Z',
    );
  });

  it('never rewrites the creator from a replayed, older creation event', async () => {
    const tags = tagStore({
      [TAG.lastConnection]: 'started@2026-11-27T10:00Z',
      [TAG.creator]: `arn:aws:iam::${ACCOUNT}:user/Bob`,
    });
    const out = await handler(cloudTrail('CreateImageBuilder', '2026-11-27T08:55:00Z'));
    expect(out).toMatchObject({ action: 'unchanged', reason: expect.stringContaining('is older than') });
    expect(tags[TAG.creator]).toBe(`arn:aws:iam::${ACCOUNT}:user/Bob`);
    expect(appstream.commandCalls(TagResourceCommand)).toHaveLength(0);
  });

  it('skips a failed creation (errorCode): no builder came of it', async () => {
    const out = await handler(
      cloudTrail('CreateImageBuilder', '2026-11-27T08:55:00Z', {
        errorCode: 'ResourceAlreadyExistsException',
        errorMessage: 'exists',
      }),
    );
    expect(out).toMatchObject({
      action: 'skipped',
      reason: expect.stringContaining('ResourceAlreadyExistsException'),
    });
    expect(appstream.calls()).toHaveLength(0);
  });
});

describe('Cleanup recorder: start (StartImageBuilder)', () => {
  it('moves started@ forward only, and never names a creator', async () => {
    const tags = tagStore({ [TAG.lastConnection]: 'started@2026-11-27T08:55Z' });
    const later = await handler(cloudTrail('StartImageBuilder', '2026-11-28T07:30:00Z'));
    expect(later).toMatchObject({ action: 'recorded', value: 'started@2026-11-28T07:30Z' });
    const older = await handler(cloudTrail('StartImageBuilder', '2026-11-27T20:00:00Z'));
    expect(older).toMatchObject({
      action: 'unchanged',
      reason: 'start 2026-11-27T20:00Z is older than the recorded 2026-11-28T07:30Z',
    });
    expect(tags[TAG.creator]).toBeUndefined();
  });

  it('skips a failed start', async () => {
    const out = await handler(
      cloudTrail('StartImageBuilder', '2026-11-27T08:55:00Z', {
        errorCode: 'ConcurrentModificationException',
      }),
    );
    expect(out.action).toBe('skipped');
    expect(appstream.calls()).toHaveLength(0);
  });
});

describe('Cleanup recorder: presence heartbeat (S3 Object Created in the agent bucket)', () => {
  it('records presence@ the S3 event time on the builder the key names, keeping the rest', async () => {
    const tags = tagStore({ [TAG.lastConnection]: '2026-11-27T09:00Z started@2026-11-27T08:55Z' });
    const out = await handler(s3Event('2026-11-27T11:39:30Z'));
    expect(out).toMatchObject({
      builder: 'b1',
      account: ACCOUNT,
      region: REGION,
      action: 'recorded',
      value: '2026-11-27T09:00Z presence@2026-11-27T11:40Z started@2026-11-27T08:55Z',
    });
    expect(tags[TAG.lastConnection]).toBe(
      '2026-11-27T09:00Z presence@2026-11-27T11:40Z started@2026-11-27T08:55Z',
    );
  });

  it('moves presence@ forward only (heartbeats arrive out of order)', async () => {
    const tags = tagStore();
    await handler(s3Event('2026-11-27T11:40:00Z'));
    const late = await handler(s3Event('2026-11-27T11:35:00Z'));
    expect(late.action).toBe('unchanged');
    expect(tags[TAG.lastConnection]).toBe('presence@2026-11-27T11:40Z');
  });

  it.each([
    ['another bucket', { bucket: 'someone-elses-bucket' }, 'is not the agent bucket'],
    ['a job document', { key: 'autopilot-agent/b1/jobs/j1.json' }, 'is not a presence heartbeat'],
    ['another prefix', { key: 'other/b1/presence/heartbeat.json' }, 'is not a presence heartbeat'],
    ['a nested path', { key: 'autopilot-agent/a/b/presence/heartbeat.json' }, 'is not a presence heartbeat'],
    ['a deletion', { detailType: 'Object Deleted' }, 'is not an object creation'],
  ])('skips %s, saying why', async (_what, over, reason) => {
    const out = await handler(s3Event('2026-11-27T11:40:00Z', over));
    expect(out).toMatchObject({ action: 'skipped', reason: expect.stringContaining(reason) });
    expect(appstream.calls()).toHaveLength(0);
  });

  it('skips every S3 event when no agent bucket is configured', async () => {
    const out = await withDeps(deps)(s3Event('2026-11-27T11:40:00Z'));
    expect(out).toMatchObject({ action: 'skipped', reason: expect.stringContaining('AGENT_BUCKET') });
    expect(appstream.calls()).toHaveLength(0);
  });

  it('reads the agent bucket and prefix from the environment', () => {
    expect(agentFromEnv({ AGENT_BUCKET: BUCKET, AGENT_PREFIX: 'agents' })).toEqual({
      bucket: BUCKET,
      prefix: 'agents',
    });
    expect(agentFromEnv({ AGENT_BUCKET: BUCKET })).toEqual({ bucket: BUCKET, prefix: 'autopilot-agent' });
    expect(agentFromEnv({})).toBeUndefined();
  });
});

describe('Cleanup recorder: garbage input of each kind', () => {
  const create = cloudTrail('CreateImageBuilder', '2026-11-27T08:55:00Z');
  const s3 = s3Event('2026-11-27T11:40:00Z');
  it.each([
    ['an unknown source', { ...s3, source: 'aws.ec2' }, 'source'],
    [
      'a creator ARN that is no string',
      { ...create, detail: { ...create.detail, userIdentity: { arn: 7 } } },
      'detail.userIdentity.arn',
    ],
    ['an S3 event without time', { ...s3, time: undefined }, 'time'],
    ['an S3 event with a bad time', { ...s3, time: 'noon' }, 'time: must be an ISO 8601'],
    ['an S3 event without bucket', { ...s3, detail: { ...s3.detail, bucket: undefined } }, 'detail.bucket'],
    ['an S3 event without key', { ...s3, detail: { ...s3.detail, object: {} } }, 'detail.object.key'],
    ['an S3 event with a bad account', { ...s3, account: 'x' }, 'account: must be a 12-digit'],
  ])('refuses %s with InvalidInput naming the field', async (_what, event, field) => {
    await expect(handler(event)).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining(field),
    });
    expect(appstream.calls()).toHaveLength(0);
  });
});
