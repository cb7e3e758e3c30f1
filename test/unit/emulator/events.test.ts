import { describe, expect, it, vi } from 'vitest';
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
    const b = log.cursor;
    log.append(envelope('111111111111', 'us-east-1', 'a'), T0);
    log.append(envelope('222222222222', 'us-east-1', 'b'), T0);
    log.append(envelope('111111111111', 'eu-west-1', 'c'), T0);
    log.append(envelope('111111111111', 'us-east-1', 'd'), T0);
    const first = log.query({ limit: 3 }, T0);
    expect([ids(first.events), first.nextCursor]).toEqual([['a', 'b', 'c'], b + 3]);
    const rest = log.query({ since: first.nextCursor, limit: 3 }, T0);
    expect([ids(rest.events), rest.nextCursor]).toEqual([['d'], b + 4]);
    expect(ids(log.query({ accountId: '111111111111' }, T0).events)).toEqual(['a', 'c', 'd']);
    expect(
      ids(log.query({ accountId: '111111111111', region: 'us-east-1', since: b + 1 }, T0).events),
    ).toEqual(['d']);
    // Nothing matching: the cursor moves to the newest, so the next poll starts there.
    expect(log.query({ region: 'ap-south-1' }, T0)).toMatchObject({ events: [], nextCursor: b + 4 });
  });

  it('keeps the newest N per scope and says when a cursor fell behind them', () => {
    const log = new EventLog({ retention: 2 });
    const b = log.cursor;
    for (const name of ['a', 'b', 'c']) log.append(envelope('111111111111', 'us-east-1', name), T0);
    log.append(envelope('222222222222', 'us-east-1', 'x'), T0);
    expect(log.query({ since: 0 }, T0)).toMatchObject({ truncated: true, oldestCursor: b + 1 });
    expect(ids(log.query({ since: 0 }, T0).events)).toEqual(['b', 'c', 'x']);
    // The other scope lost nothing: reading it from the log's start (0) is not truncated.
    expect(log.query({ since: 0, accountId: '222222222222' }, T0).truncated).toBe(false);
    expect(log.query({ since: b + 1 }, T0).truncated).toBe(false);
    expect(log.query({}, T0).truncated).toBe(false);
  });

  it('keeps the newest totalRetention events over all scopes, dropping the oldest of any scope', () => {
    const log = new EventLog({ retention: 10, totalRetention: 3 });
    const b = log.cursor;
    log.append(envelope('111111111111', 'us-east-1', 'a'), T0);
    log.append(envelope('222222222222', 'us-east-1', 'x'), T0);
    log.append(envelope('111111111111', 'us-east-1', 'b'), T0);
    log.append(envelope('222222222222', 'us-east-1', 'y'), T0);
    log.append(envelope('111111111111', 'eu-west-1', 'c'), T0);
    expect(ids(log.query({}, T0).events)).toEqual(['b', 'y', 'c']);
    expect(log.query({ since: 0 }, T0)).toMatchObject({ truncated: true, oldestCursor: b + 2 });
    // Each scope says what it lost: x went from 222…, a from 111…/us-east-1, nothing from eu-west-1.
    expect(log.query({ since: b + 1, accountId: '222222222222' }, T0).truncated).toBe(true);
    expect(log.query({ since: b + 2, accountId: '111111111111' }, T0).truncated).toBe(false);
    expect(log.query({ since: 0, region: 'eu-west-1' }, T0).truncated).toBe(false);
    // A saved log over a (smaller) cap is cut to it when loaded.
    const small = new EventLog({ totalRetention: 1 });
    small.load(JSON.parse(JSON.stringify(log.toJSON())));
    expect(ids(small.query({}, T0).events)).toEqual(['c']);
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
    const b = log.cursor;
    log.append(envelope('111111111111', 'us-east-1', 'a'), T0);
    expect(log.query({ since: b + 7 }, T0)).toMatchObject({ truncated: true, nextCursor: b + 1 });
    const saved = JSON.parse(JSON.stringify(log.toJSON()));
    log.reset();
    expect(log.query({}, T0).events).toEqual([]);
    expect(log.append(envelope('111111111111', 'us-east-1', 'b'), T0)).toBe(b + 2);
    const loaded = new EventLog();
    loaded.load(saved);
    expect([ids(loaded.query({}, T0).events), loaded.cursor]).toEqual([['a'], b + 1]);
  });

  it('tells a cursor of an earlier log (a previous emulator run) apart, however far the new one got', () => {
    const previous = new EventLog();
    previous.append(envelope('111111111111', 'us-east-1', 'old-1'), T0);
    previous.append(envelope('111111111111', 'us-east-1', 'old-2'), T0);
    const stale = previous.query({}, T0).nextCursor;
    const log = new EventLog();
    for (const name of ['a', 'b', 'c', 'd']) log.append(envelope('111111111111', 'us-east-1', name), T0);
    // Read from the oldest kept, and say events may be missing because the cursor is another log's.
    expect(log.query({ since: stale }, T0)).toMatchObject({ truncated: true, unknownCursor: true });
    expect(log.query({ since: log.cursor + 1 }, T0)).toMatchObject({ truncated: true, unknownCursor: true });
    expect(log.query({ since: log.cursor - 1 }, T0)).toMatchObject({
      truncated: false,
      unknownCursor: false,
    });
    expect(log.query({ since: 0 }, T0).unknownCursor).toBe(false);
    expect(ids(log.query({ since: stale }, T0).events)).toEqual(['a', 'b', 'c', 'd']);
    // Cursors are safe integers (16 digits at most, as the control API accepts).
    expect(Number.isSafeInteger(log.cursor) && String(log.cursor).length <= 16).toBe(true);
  });

  it('says truncated for a cursor older than a reset (the events after it were forgotten)', () => {
    const log = new EventLog();
    log.append(envelope('111111111111', 'us-east-1', 'a'), T0);
    const behind = log.cursor;
    log.append(envelope('111111111111', 'us-east-1', 'b'), T0);
    const caughtUp = log.cursor;
    log.reset();
    log.append(envelope('111111111111', 'us-east-1', 'c'), T0);
    expect(log.query({ since: behind }, T0)).toMatchObject({ truncated: true, unknownCursor: false });
    expect(ids(log.query({ since: behind }, T0).events)).toEqual(['c']);
    expect(log.query({ since: caughtUp }, T0).truncated).toBe(false);
    expect(log.query({ since: 0 }, T0).truncated).toBe(true);
    // Also after a save and load.
    const loaded = new EventLog();
    loaded.load(JSON.parse(JSON.stringify(log.toJSON())));
    expect([
      loaded.query({ since: behind }, T0).truncated,
      loaded.query({ since: caughtUp }, T0).truncated,
    ]).toEqual([true, false]);
    // A reset of an empty log forgets nothing.
    const empty = new EventLog();
    empty.reset();
    expect(empty.query({ since: 0 }, T0).truncated).toBe(false);
  });

  it('saves events as their JSON text, keeps its base when loaded, and loads older files with envelope objects', () => {
    const log = new EventLog();
    const a = envelope('111111111111', 'us-east-1', 'a');
    log.append(a, T0);
    const first = log.cursor;
    log.append(envelope('111111111111', 'us-east-1', 'b'), T0);
    const saved = JSON.parse(JSON.stringify(log.toJSON()));
    expect(saved.scopes[0].entries[0]).toEqual({ cursor: first, at: T0, json: JSON.stringify(a) });
    const loaded = new EventLog();
    loaded.load(saved);
    // The loaded log is the saved one: its cursors are still known, another log's are not.
    expect(loaded.query({ since: first }, T0)).toMatchObject({ truncated: false, nextCursor: log.cursor });
    expect(ids(loaded.query({ since: first }, T0).events)).toEqual(['b']);
    expect(loaded.query({ since: new EventLog().cursor - 1 }, T0).truncated).toBe(true);
    expect(loaded.append(envelope('111111111111', 'us-east-1', 'c'), T0)).toBe(log.cursor + 1);
    // A state file written before: cursors from 1, envelopes as objects.
    const legacy = new EventLog();
    legacy.load({
      cursor: 2,
      scopes: [
        {
          account: '111111111111',
          region: 'us-east-1',
          entries: [
            { cursor: 1, at: T0, envelope: a },
            { cursor: 2, at: T0, envelope: envelope('111111111111', 'us-east-1', 'b') },
          ],
        },
      ],
    });
    expect(legacy.query({ since: 1 }, T0)).toMatchObject({ truncated: false, nextCursor: 2 });
    expect(legacy.query({}, T0).events).toEqual([a, envelope('111111111111', 'us-east-1', 'b')]);
    expect(legacy.append(envelope('111111111111', 'us-east-1', 'c'), T0)).toBe(3);
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

  it('reports an async listener that rejects instead of leaving an unhandled rejection', async () => {
    const log = new EventLog();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      log.listeners.push(async () => {
        throw new Error('async recorder failed');
      });
      log.append(envelope('111111111111', 'us-east-1', 'a'), T0);
      await new Promise((r) => setTimeout(r, 10));
      expect(unhandled).toEqual([]);
      expect(error).toHaveBeenCalledWith('[emulator] event listener failed:', expect.any(Error));
    } finally {
      error.mockRestore();
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('tells every listener when one unsubscribes while being told', () => {
    const log = new EventLog();
    const seen: string[] = [];
    const first = () => {
      seen.push('first');
      log.listeners.splice(log.listeners.indexOf(first), 1);
    };
    log.listeners.push(first, () => seen.push('second'));
    log.append(envelope('111111111111', 'us-east-1', 'a'), T0);
    log.append(envelope('111111111111', 'us-east-1', 'b'), T0);
    expect(seen).toEqual(['first', 'second', 'second']);
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
    expect(identityOf('123456789012', '123456789012', undefined)).toEqual({
      type: 'Root',
      principalId: '123456789012',
      arn: 'arn:aws:iam::123456789012:root',
      accountId: '123456789012',
      accessKeyId: '123456789012',
    });
    expect(identityOf('AKIA111122223333BOB1', '111122223333', undefined)).toMatchObject({
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
    expect(identityOf('ASIA111122223333ABCD', '111122223333', issued)).toMatchObject({
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLE:s1',
      sessionContext: {
        sessionIssuer: { principalId: 'AROAEXAMPLE', arn: issued.roleArn, userName: 'Admin' },
        attributes: { creationDate: '2026-11-26T09:00:00Z' },
      },
    });
    // Older state files: the role comes from the session ARN.
    const { roleArn: _r, issuedAt: _i, ...old } = issued;
    expect(identityOf('ASIA111122223333ABCD', '111122223333', old)).toMatchObject({
      sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::111122223333:role/Admin' } },
    });
    // ...and no issuedAt: a fixed creationDate (the expiration less AssumeRole's default hour),
    // the same in every event of the session; the epoch when even the expiration is unknown.
    const creation = (key: typeof old & { expiration?: number }) =>
      identityOf('ASIA111122223333ABCD', '111122223333', key).sessionContext?.attributes.creationDate;
    expect(creation({ ...old, expiration: T0 + 3_600_000 })).toBe(isoSeconds(T0));
    expect(creation(old)).toBe('1970-01-01T00:00:00Z');
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
      identity: identityOf('111122223333', '111122223333', undefined),
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
