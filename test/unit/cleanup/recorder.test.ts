import { ListTagsForResourceCommand, TagResourceCommand } from '@aws-sdk/client-appstream';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { withDeps } from '../../../functions/cleanup-record-connection';
import { builderArn, type ConnectionEvent, recordConnection } from '../../../lib/cleanup/recorder';
import { accountClients, assumedRoleCredentials, parseAccountRoles } from '../../../lib/lambda/cleanup-deps';
import { TAG } from '../../../lib/tags';
import {
  ACCOUNT,
  ARN,
  appstream,
  asked,
  cloudTrailEvent,
  deps,
  REGION,
  resetRecorderMocks,
  tagStore,
} from './recorder-fixtures';

const handler = withDeps(deps);

/** The EventBridge envelope of a CloudTrail CreateImageBuilderStreamingURL record. */
const connectEvent = (eventTime: string, detail: Record<string, unknown> = {}): ConnectionEvent =>
  cloudTrailEvent('CreateImageBuilderStreamingURL', eventTime, {
    requestParameters: { name: 'b1', validity: 3600 },
    responseElements: { streamingURL: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
    ...detail,
  });

const serviceError = (name: string, status = 400) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });

const tagWrites = () => appstream.commandCalls(TagResourceCommand).length;

beforeEach(resetRecorderMocks);

describe('Cleanup recorder: recordConnection', () => {
  it('writes the connection time as a UTC minute on the builder of the event’s account and region', async () => {
    // Prepare
    const tags = tagStore({ team: 'data' });
    // Act
    const out = await handler(connectEvent('2026-11-27T14:00:00Z'));
    // Assess
    expect(out).toEqual({
      builder: 'b1',
      account: ACCOUNT,
      region: REGION,
      action: 'recorded',
      reason: 'connection 2026-11-27T14:00Z',
      value: '2026-11-27T14:00Z',
    });
    expect(tags[TAG.lastConnection]).toBe('2026-11-27T14:00Z');
    expect(asked).toEqual([{ account: ACCOUNT, region: REGION }]);
    expect(appstream.commandCalls(TagResourceCommand)[0].args[0].input).toEqual({
      ResourceArn: ARN,
      Tags: { [TAG.lastConnection]: '2026-11-27T14:00Z' },
    });
  });

  it('rounds a time within a minute up (a clock never starts earlier than the event)', async () => {
    const tags = tagStore();
    await handler(connectEvent('2026-11-27T14:00:01Z'));
    expect(tags[TAG.lastConnection]).toBe('2026-11-27T14:01Z');
  });

  it('moves the tag forward only: a newer event is recorded, keeping the presence part', async () => {
    const tags = tagStore({ [TAG.lastConnection]: '2026-11-27T09:00Z presence@2026-11-27T11:40Z' });
    const out = await handler(connectEvent('2026-11-27T12:30:00Z'));
    expect(out.action).toBe('recorded');
    expect(tags[TAG.lastConnection]).toBe('2026-11-27T12:30Z presence@2026-11-27T11:40Z');
  });

  it('ignores a duplicate delivery of the same event (EventBridge delivers at least once)', async () => {
    const tags = tagStore();
    const event = connectEvent('2026-11-27T14:00:00Z');
    await handler(event);
    const again = await handler(event);
    expect(again).toMatchObject({
      action: 'unchanged',
      reason: 'connection 2026-11-27T14:00Z already recorded',
    });
    expect(tagWrites()).toBe(1);
    expect(tags[TAG.lastConnection]).toBe('2026-11-27T14:00Z');
  });

  it('never moves the tag back for an event that arrives out of order', async () => {
    const tags = tagStore();
    await handler(connectEvent('2026-11-27T14:00:00Z'));
    const late = await handler(connectEvent('2026-11-27T13:00:00Z'));
    expect(late).toMatchObject({
      action: 'unchanged',
      reason: 'connection 2026-11-27T13:00Z is older than the recorded 2026-11-27T14:00Z',
      value: '2026-11-27T14:00Z',
    });
    expect(tags[TAG.lastConnection]).toBe('2026-11-27T14:00Z');
    expect(tagWrites()).toBe(1);
  });

  it('replaces a value a person garbled', async () => {
    const tags = tagStore({ [TAG.lastConnection]: 'yesterday' });
    const out = await handler(connectEvent('2026-11-27T14:00:00Z'));
    expect(out).toMatchObject({
      action: 'recorded',
      reason: expect.stringContaining("unreadable 'yesterday'"),
    });
    expect(tags[TAG.lastConnection]).toBe('2026-11-27T14:00Z');
  });

  it('skips a failed call (errorCode): a refused streaming URL is no connection', async () => {
    tagStore();
    const out = await handler(
      connectEvent('2026-11-27T14:00:00Z', {
        errorCode: 'OperationNotPermittedException',
        errorMessage: 'not running',
        responseElements: null,
      }),
    );
    expect(out).toMatchObject({
      action: 'skipped',
      reason: expect.stringContaining('OperationNotPermittedException'),
    });
    expect(appstream.calls()).toHaveLength(0);
  });

  it('skips a failed call refused before its input was read (requestParameters null)', async () => {
    const out = await handler(
      connectEvent('2026-11-27T14:00:00Z', { errorCode: 'ThrottlingException', requestParameters: null }),
    );
    expect(out).toMatchObject({ builder: '', action: 'skipped' });
    expect(appstream.calls()).toHaveLength(0);
  });

  it('skips an event of another call', async () => {
    const out = await handler(connectEvent('2026-11-27T14:00:00Z', { eventName: 'StopImageBuilder' }));
    expect(out).toMatchObject({
      action: 'skipped',
      reason: 'StopImageBuilder is not a connection, creation or start of an image builder',
    });
    expect(appstream.calls()).toHaveLength(0);
  });

  it('reports a builder that no longer exists as skipped, not an error', async () => {
    appstream.on(ListTagsForResourceCommand).rejects(serviceError('ResourceNotFoundException'));
    const out = await handler(connectEvent('2026-11-27T14:00:00Z'));
    expect(out).toMatchObject({
      action: 'skipped',
      reason: `builder b1 no longer exists in ${ACCOUNT}/${REGION}`,
    });
  });

  it('reports a builder deleted between reading and tagging as skipped', async () => {
    appstream.on(ListTagsForResourceCommand).resolves({ Tags: {} });
    appstream.on(TagResourceCommand).rejects(serviceError('ResourceNotFoundException'));
    const out = await handler(connectEvent('2026-11-27T14:00:00Z'));
    expect(out.action).toBe('skipped');
  });

  it.each([
    ['ThrottlingException', 400],
    ['InternalFailure', 500],
  ])(
    'turns %s left after the SDK’s retries into AwsTransientError (Lambda/EventBridge retry)',
    async (name, status) => {
      appstream.on(ListTagsForResourceCommand).rejects(serviceError(name, status));
      await expect(handler(connectEvent('2026-11-27T14:00:00Z'))).rejects.toMatchObject({
        name: 'AwsTransientError',
        message: expect.stringContaining(ARN),
      });
    },
  );

  it('turns a refusal retrying cannot fix into AwsRequestError', async () => {
    appstream.on(ListTagsForResourceCommand).resolves({ Tags: {} });
    appstream.on(TagResourceCommand).rejects(serviceError('AccessDeniedException'));
    await expect(handler(connectEvent('2026-11-27T14:00:00Z'))).rejects.toMatchObject({
      name: 'AwsRequestError',
      message: expect.stringContaining('AccessDeniedException'),
    });
  });

  it('calls the core directly with the same result (local runs, other callers)', async () => {
    tagStore();
    const out = await recordConnection(connectEvent('2026-11-27T14:00:00Z'), deps);
    expect(out.action).toBe('recorded');
  });
});

describe('Cleanup recorder: garbage input', () => {
  const valid = connectEvent('2026-11-27T14:00:00Z');
  const detail = valid.detail as Record<string, unknown>;
  it.each([
    ['not an object', 'nope', '(root)'],
    ['another source', { ...valid, source: 'aws.ec2' }, 'source'],
    ['another detail-type', { ...valid, 'detail-type': 'Scheduled Event' }, 'detail-type'],
    ['no account', { ...valid, account: undefined }, 'account'],
    ['a bad account', { ...valid, account: '1234' }, 'account: must be a 12-digit AWS account id'],
    ['a bad region', { ...valid, region: 'Mars' }, 'region'],
    ['no detail', { ...valid, detail: undefined }, 'detail'],
    ['no eventTime', { ...valid, detail: { ...detail, eventTime: undefined } }, 'detail.eventTime'],
    [
      'a bad eventTime',
      { ...valid, detail: { ...detail, eventTime: 'Tuesday' } },
      'detail.eventTime: must be',
    ],
    [
      'no builder name',
      { ...valid, detail: { ...detail, requestParameters: {} } },
      'detail.requestParameters.name',
    ],
    [
      'null parameters',
      { ...valid, detail: { ...detail, requestParameters: null } },
      'detail.requestParameters.name',
    ],
    [
      'a name that is no builder name',
      { ...valid, detail: { ...detail, requestParameters: { name: 'b1/../x' } } },
      'detail.requestParameters.name: must be an image builder name',
    ],
  ])('refuses %s with InvalidInput naming the field', async (_what, event, field) => {
    await expect(handler(event)).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining(field),
    });
    expect(appstream.calls()).toHaveLength(0);
  });
});

describe('Cleanup recorder: builder ARN', () => {
  it('uses the partition of the region', () => {
    expect(builderArn(ACCOUNT, 'eu-west-1', 'b1')).toBe(ARN.replace(REGION, 'eu-west-1'));
    expect(builderArn(ACCOUNT, 'us-gov-west-1', 'b1')).toMatch(/^arn:aws-us-gov:appstream:/);
    expect(builderArn(ACCOUNT, 'cn-north-1', 'b1')).toMatch(/^arn:aws-cn:appstream:/);
  });
});

describe('Cleanup deps: one AppStream client per account and region', () => {
  const make = (region: string, credentials?: unknown) => ({ region, assumed: credentials !== undefined });
  const sts = () => {
    throw new Error('not called while building clients');
  };

  it('acts in the home account with the default credentials and elsewhere through the account’s role', () => {
    const roles = parseAccountRoles('arn:aws:iam::444455556666:role/autopilot-cleanup');
    const port = accountClients({ homeAccount: ACCOUNT, roles, make, sts, sessionName: 's' });
    expect(port(ACCOUNT, 'eu-west-1')).toEqual({ region: 'eu-west-1', assumed: false });
    expect(port('444455556666', 'us-east-1')).toEqual({ region: 'us-east-1', assumed: true });
    expect(port(ACCOUNT, 'eu-west-1')).toBe(port(ACCOUNT, 'eu-west-1'));
  });

  it('refuses an account that is neither home nor given a role, naming it', () => {
    const port = accountClients({ homeAccount: ACCOUNT, roles: {}, make, sts, sessionName: 's' });
    expect(() => port('999999999999', 'eu-west-1')).toThrow(
      expect.objectContaining({
        name: 'ConfigError',
        message: expect.stringContaining('account 999999999999'),
      }),
    );
  });

  it('uses the default credentials for every account without a role when the home account is unknown', () => {
    const port = accountClients({ roles: {}, make, sts, sessionName: 's' });
    expect(port('999999999999', 'eu-west-1')).toEqual({ region: 'eu-west-1', assumed: false });
  });

  it('reads CLEANUP_ACCOUNT_ROLES as role ARNs, keyed by their account', () => {
    expect(
      parseAccountRoles(
        'arn:aws:iam::444455556666:role/a, arn:aws:iam::777788889999:role/path/b\narn:aws:iam::444455556666:role/a',
      ),
    ).toEqual({
      '444455556666': 'arn:aws:iam::444455556666:role/a',
      '777788889999': 'arn:aws:iam::777788889999:role/path/b',
    });
    expect(parseAccountRoles(undefined)).toEqual({});
    expect(() => parseAccountRoles('arn:aws:iam::4444:role/a')).toThrow(
      /CLEANUP_ACCOUNT_ROLES: 'arn:aws:iam::4444:role\/a'/,
    );
    expect(() =>
      parseAccountRoles('arn:aws:iam::444455556666:role/a,arn:aws:iam::444455556666:role/b'),
    ).toThrow(/two roles for account 444455556666/);
  });
});

describe('Cleanup deps: assumed-role credentials', () => {
  const stsClient = new STSClient({ region: REGION });
  const sts = mockClient(stsClient);
  const ROLE = 'arn:aws:iam::444455556666:role/autopilot-cleanup';

  it('assumes the role once, keeps the credentials until 5 minutes before they expire on the given clock, then again', async () => {
    // Prepare: a virtual clock (the emulator's locally)
    sts.reset();
    let now = Date.parse('2026-11-26T09:00:00Z');
    let n = 0;
    sts.on(AssumeRoleCommand).callsFake(async () => {
      n++;
      return {
        Credentials: {
          AccessKeyId: `ASIA${n}`,
          SecretAccessKey: 's',
          SessionToken: 't',
          Expiration: new Date(now + 3_600_000),
        },
      };
    });
    const provider = assumedRoleCredentials(
      () => stsClient,
      ROLE,
      'sess',
      () => now,
    );
    // Act + Assess
    const [a, b] = await Promise.all([provider(), provider()]);
    expect([a.accessKeyId, b.accessKeyId]).toEqual(['ASIA1', 'ASIA1']);
    now += 54 * 60_000;
    expect((await provider()).accessKeyId).toBe('ASIA1');
    now += 2 * 60_000;
    expect((await provider()).accessKeyId).toBe('ASIA2');
    expect(sts.commandCalls(AssumeRoleCommand)[0].args[0].input).toEqual({
      RoleArn: ROLE,
      RoleSessionName: 'sess',
    });
    // The SDK is told they expire now, so it asks this provider (and its clock) before every request.
    expect(a.expiration!.getTime()).toBeLessThanOrEqual(Date.now());
  });
});
