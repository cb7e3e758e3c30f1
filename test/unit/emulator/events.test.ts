import { describe, expect, it } from 'vitest';
import { queryObject } from '../../../emulator/control-routes';
import {
  apiCallEnvelope,
  HIDDEN,
  identityFromArn,
  identityOf,
  isoSeconds,
  isReadOnly,
  toTrail,
  trailTimestamp,
} from '../../../emulator/events/cloudtrail';
import { type EventEnvelope, EventLog } from '../../../emulator/events/log';
import { loadModel } from '../../../emulator/model';

const T0 = Date.parse('2026-11-26T09:00:00Z');

function envelope(account: string, region: string, name: string): EventEnvelope {
  return {
    version: '0',
    id: name,
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.appstream',
    account,
    time: isoSeconds(T0),
    region,
    resources: [],
    detail: { eventName: name },
  };
}

const ids = (events: EventEnvelope[]) => events.map((e) => e.id);

describe('Emulator events: EventLog', () => {
  it('merges account+region scopes in cursor order and pages with nextCursor', () => {
    const log = new EventLog();
    log.append(envelope('111111111111', 'us-east-1', 'a'), T0);
    log.append(envelope('222222222222', 'us-east-1', 'b'), T0);
    log.append(envelope('111111111111', 'eu-west-1', 'c'), T0);
    log.append(envelope('111111111111', 'us-east-1', 'd'), T0);
    const first = log.query({ limit: 3 }, T0);
    expect([ids(first.events), first.nextCursor]).toEqual([['a', 'b', 'c'], 3]);
    const rest = log.query({ since: first.nextCursor, limit: 3 }, T0);
    expect([ids(rest.events), rest.nextCursor]).toEqual([['d'], 4]);
    expect(ids(log.query({ accountId: '111111111111' }, T0).events)).toEqual(['a', 'c', 'd']);
    expect(ids(log.query({ accountId: '111111111111', region: 'us-east-1', since: 1 }, T0).events)).toEqual([
      'd',
    ]);
    // Nothing matching: the cursor moves to the newest, so the next poll starts there.
    expect(log.query({ region: 'ap-south-1' }, T0)).toMatchObject({ events: [], nextCursor: 4 });
  });

  it('keeps the newest N per scope and says when a cursor fell behind them', () => {
    const log = new EventLog({ retention: 2 });
    for (const name of ['a', 'b', 'c']) log.append(envelope('111111111111', 'us-east-1', name), T0);
    log.append(envelope('222222222222', 'us-east-1', 'x'), T0);
    expect(log.query({ since: 0 }, T0)).toMatchObject({ truncated: true, oldestCursor: 1 });
    expect(ids(log.query({ since: 0 }, T0).events)).toEqual(['b', 'c', 'x']);
    // The other scope lost nothing: a cursor of 0 is not truncated there.
    expect(log.query({ since: 0, accountId: '222222222222' }, T0).truncated).toBe(false);
    expect(log.query({ since: 1 }, T0).truncated).toBe(false);
    expect(log.query({}, T0).truncated).toBe(false);
  });

  it('drops events older than maxAgeMs (virtual time) when written or read', () => {
    const log = new EventLog({ maxAgeMs: 60_000 });
    log.append(envelope('111111111111', 'us-east-1', 'old'), T0);
    log.append(envelope('111111111111', 'us-east-1', 'new'), T0 + 30_000);
    expect(ids(log.query({}, T0 + 61_000).events)).toEqual(['new']);
    expect(log.query({ since: 0 }, T0 + 61_000).truncated).toBe(true);
  });

  it('treats a cursor it never issued as truncated, and keeps counting across reset and load', () => {
    const log = new EventLog();
    log.append(envelope('111111111111', 'us-east-1', 'a'), T0);
    expect(log.query({ since: 7 }, T0)).toMatchObject({ truncated: true, nextCursor: 1 });
    const saved = JSON.parse(JSON.stringify(log.toJSON()));
    log.reset();
    expect(log.query({}, T0).events).toEqual([]);
    expect(log.append(envelope('111111111111', 'us-east-1', 'b'), T0)).toBe(2);
    const loaded = new EventLog();
    loaded.load(saved);
    expect([ids(loaded.query({}, T0).events), loaded.cursor]).toEqual([['a'], 1]);
  });

  it('tells listeners in order and survives a failing one', () => {
    const log = new EventLog();
    const seen: string[] = [];
    log.listeners.push(() => {
      throw new Error('boom');
    });
    log.listeners.push((e) => seen.push(e.id));
    const error = console.error;
    console.error = () => {};
    try {
      log.append(envelope('111111111111', 'us-east-1', 'a'), T0);
      log.append(envelope('111111111111', 'us-east-1', 'b'), T0);
    } finally {
      console.error = error;
    }
    expect(seen).toEqual(['a', 'b']);
  });
});

describe('Emulator events: CloudTrail records', () => {
  const model = loadModel('appstream');

  it('writes member names with a lower-case first letter, keeps tag keys, hides sensitive values', () => {
    const input = {
      Name: 'b1',
      Tags: { Owner: 'x', __proto__: 'y' },
      VpcConfig: { SubnetIds: ['subnet-1'] },
    };
    Object.defineProperty(input.Tags, '__proto__', { value: 'y', enumerable: true });
    expect(toTrail(model, 'CreateImageBuilderRequest', input)).toEqual({
      name: 'b1',
      tags: JSON.parse('{"Owner":"x","__proto__":"y"}'),
      vpcConfig: { subnetIds: ['subnet-1'] },
    });
    expect(
      toTrail(model, 'CreateDirectoryConfigRequest', {
        DirectoryName: 'corp.example.com',
        ServiceAccountCredentials: { AccountName: 'admin', AccountPassword: 'secret' },
      }),
    ).toEqual({
      directoryName: 'corp.example.com',
      serviceAccountCredentials: { accountName: HIDDEN, accountPassword: HIDDEN },
    });
    expect(toTrail(model, 'CreateStreamingURLResult', { StreamingURL: 'https://x', Expires: 0 })).toEqual({
      streamingURL: HIDDEN,
      expires: 'Jan 1, 1970 12:00:00 AM',
    });
  });

  it('formats eventTime as ISO seconds and response timestamps as CloudTrail does', () => {
    expect(isoSeconds(Date.parse('2019-03-12T06:58:09.987Z'))).toBe('2019-03-12T06:58:09Z');
    expect(trailTimestamp(Date.parse('2018-07-09T12:56:54Z') / 1000)).toBe('Jul 9, 2018 12:56:54 PM');
    expect(trailTimestamp(Date.parse('2018-07-09T00:05:01Z') / 1000)).toBe('Jul 9, 2018 12:05:01 AM');
  });

  it('classifies Describe, Get and List calls as read-only', () => {
    expect(['DescribeImageBuilders', 'ListTagsForResource', 'GetThing'].every(isReadOnly)).toBe(true);
    expect(
      ['CreateImageBuilderStreamingURL', 'CreateStreamingURL', 'StopImageBuilder', 'ExpireSession'].some(
        isReadOnly,
      ),
    ).toBe(false);
  });

  it('names callers by access key: Root for 12-digit keys, IAMUser for AKIA keys, the role for STS keys', () => {
    expect(identityOf('123456789012', '123456789012', undefined, T0)).toEqual({
      type: 'Root',
      principalId: '123456789012',
      arn: 'arn:aws:iam::123456789012:root',
      accountId: '123456789012',
      accessKeyId: '123456789012',
    });
    expect(identityOf('AKIA111122223333BOB1', '111122223333', undefined, T0)).toMatchObject({
      type: 'IAMUser',
      arn: 'arn:aws:iam::111122223333:user/user-BOB1',
      userName: 'user-BOB1',
    });
    const issued = {
      account: '111122223333',
      arn: 'arn:aws:sts::111122223333:assumed-role/Admin/s1',
      userId: 'AROAEXAMPLE:s1',
      roleArn: 'arn:aws:iam::111122223333:role/ops/Admin',
      issuedAt: T0,
    };
    expect(identityOf('ASIA111122223333ABCD', '111122223333', issued, T0 + 60_000)).toMatchObject({
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLE:s1',
      sessionContext: {
        sessionIssuer: { principalId: 'AROAEXAMPLE', arn: issued.roleArn, userName: 'Admin' },
        attributes: { creationDate: '2026-11-26T09:00:00Z' },
      },
    });
    // Older state files: the role comes from the session ARN.
    const { roleArn: _r, issuedAt: _i, ...old } = issued;
    expect(identityOf('ASIA111122223333ABCD', '111122223333', old, T0)).toMatchObject({
      sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::111122223333:role/Admin' } },
    });
  });

  it('reads principals from ARNs (console connect)', () => {
    expect(identityFromArn('arn:aws:iam::111122223333:user/team/alice', T0)).toMatchObject({
      type: 'IAMUser',
      arn: 'arn:aws:iam::111122223333:user/team/alice',
      userName: 'alice',
    });
    expect(identityFromArn('arn:aws:sts::111122223333:assumed-role/Admin/jane', T0)?.type).toBe(
      'AssumedRole',
    );
    expect(identityFromArn('arn:aws:iam::111122223333:root', T0)?.type).toBe('Root');
    expect(identityFromArn('arn:aws:iam::111122223333:role/Admin', T0)).toBeUndefined();
  });

  it('builds the EventBridge envelope around the record', () => {
    const e = apiCallEnvelope({
      service: 'appstream',
      model,
      operation: 'StopImageBuilder',
      account: '111122223333',
      region: 'eu-west-1',
      now: T0,
      identity: identityOf('111122223333', '111122223333', undefined, T0),
      requestId: 'req-1',
      sourceIp: '127.0.0.1',
      userAgent: 'test',
      input: { Name: 'b1' },
      error: { code: 'OperationNotPermittedException', message: 'no' },
    });
    expect(e).toMatchObject({
      version: '0',
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.appstream',
      account: '111122223333',
      region: 'eu-west-1',
      time: '2026-11-26T09:00:00Z',
      resources: [],
      detail: {
        eventSource: 'appstream.amazonaws.com',
        errorCode: 'OperationNotPermittedException',
        errorMessage: 'no',
        requestParameters: { name: 'b1' },
        responseElements: null,
        requestID: 'req-1',
        recipientAccountId: '111122223333',
      },
    });
    expect(e.detail).not.toHaveProperty('sessionCredentialFromConsole');
  });
});

describe('Emulator control API: query strings', () => {
  it('reads parameters as own properties, repeated ones as arrays', () => {
    expect(queryObject('/_emulator/events?since=3&region=a&region=b')).toEqual({
      since: '3',
      region: ['a', 'b'],
    });
    expect(Object.keys(queryObject('/x?__proto__=1'))).toEqual(['__proto__']);
    expect(queryObject('/x')).toEqual({});
  });
});
