import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, type ScalarTag } from 'yaml';
import {
  BUILDER_EVENT_NAMES,
  CONNECTION_EVENT_PATTERN,
  isConnectionEvent,
  isRecorderEvent,
  matchesPattern,
  PRESENCE_KEY_SUFFIX,
  presenceEventPattern,
} from '../../../lib/cleanup/events';

const envelope = (over: Record<string, unknown> = {}, detail: Record<string, unknown> = {}) => ({
  version: '0',
  id: 'e1',
  'detail-type': 'AWS API Call via CloudTrail',
  source: 'aws.appstream',
  account: '123456789012',
  time: '2026-11-26T09:13:00Z',
  region: 'us-east-1',
  resources: [],
  detail: {
    eventSource: 'appstream.amazonaws.com',
    eventName: 'CreateImageBuilderStreamingURL',
    requestParameters: { name: 'b1' },
    ...detail,
  },
  ...over,
});

/**
 * serverless.yml as CloudFormation reads it: `!Ref X` as `{Ref: X}`, `!GetAtt A.B` as
 * `{'Fn::GetAtt': 'A.B'}`; other short forms are left as their scalar (not compared here).
 */
const sls = parse(readFileSync('serverless.yml', 'utf8'), {
  logLevel: 'silent',
  customTags: [
    { tag: '!Ref', resolve: (v: string) => ({ Ref: v }) } as ScalarTag,
    { tag: '!GetAtt', resolve: (v: string) => ({ 'Fn::GetAtt': v }) } as ScalarTag,
  ],
}) as {
  provider: { environment: Record<string, unknown> };
  functions: Record<string, { events?: { eventBridge?: { pattern?: unknown } }[] }>;
};
/** The event patterns of the recorder's EventBridge rules, as deployed. */
const deployedPatterns = (sls.functions.cleanupRecordConnection.events ?? [])
  .map((e) => e.eventBridge?.pattern)
  .filter((p): p is Record<string, unknown> => p !== undefined);

describe('Cleanup recorder: the rules serverless.yml deploys are the patterns the code matches (B8)', () => {
  it('deploys exactly two rules for the recorder: CONNECTION_EVENT_PATTERN and presenceEventPattern', () => {
    expect(deployedPatterns).toHaveLength(2);
    expect(deployedPatterns[0]).toEqual(JSON.parse(JSON.stringify(CONNECTION_EVENT_PATTERN)));
    // The bucket is the stack's AgentBucket (AGENT_BUCKET) and the prefix AGENT_PREFIX.
    expect(sls.provider.environment.AGENT_BUCKET).toEqual({ Ref: 'AgentBucket' });
    const prefix = sls.provider.environment.AGENT_PREFIX as string;
    expect(deployedPatterns[1]).toEqual(
      JSON.parse(JSON.stringify(presenceEventPattern({ Ref: 'AgentBucket' } as unknown as string, prefix))),
    );
  });
});

describe('Cleanup recorder: CONNECTION_EVENT_PATTERN', () => {
  it('is plain JSON data: the CloudTrail calls the recorder records', () => {
    expect(JSON.parse(JSON.stringify(CONNECTION_EVENT_PATTERN))).toEqual({
      source: ['aws.appstream'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['appstream.amazonaws.com'],
        eventName: ['CreateImageBuilderStreamingURL', 'CreateImageBuilder', 'StartImageBuilder'],
      },
    });
    expect(CONNECTION_EVENT_PATTERN.detail.eventName).toEqual([...BUILDER_EVENT_NAMES]);
  });

  it('matches creations and starts of image builders too', () => {
    expect(isConnectionEvent(envelope({}, { eventName: 'CreateImageBuilder' }))).toBe(true);
    expect(isConnectionEvent(envelope({}, { eventName: 'StartImageBuilder' }))).toBe(true);
  });

  it('matches a connection event, failed calls and console connects included', () => {
    expect(isConnectionEvent(envelope())).toBe(true);
    expect(isConnectionEvent(envelope({}, { errorCode: 'OperationNotPermittedException' }))).toBe(true);
    expect(isConnectionEvent(envelope({}, { sessionCredentialFromConsole: 'true' }))).toBe(true);
  });

  it.each([
    ['another source', envelope({ source: 'aws.ec2' })],
    ['another detail-type', envelope({ 'detail-type': 'AWS Service Event via CloudTrail' })],
    ['another call', envelope({}, { eventName: 'CreateStreamingURL' })],
    ['another eventSource', envelope({}, { eventSource: 'ec2.amazonaws.com' })],
    ['no detail', envelope({ detail: undefined })],
    ['detail not an object', envelope({ detail: 'CreateImageBuilderStreamingURL' })],
    ['a differently cased value', envelope({}, { eventName: 'createimagebuilderstreamingurl' })],
    ['a number for a string', envelope({ source: 1 })],
    ['not an object', 'aws.appstream'],
    ['null', null],
  ])('does not match %s', (_what, event) => {
    expect(isConnectionEvent(event)).toBe(false);
  });

  it('matches an array value when any element is one of the pattern’s values (EventBridge semantics)', () => {
    expect(matchesPattern({ resources: ['a', 'b'] }, { resources: ['b'] })).toBe(true);
    expect(matchesPattern({ resources: [] }, { resources: ['b'] })).toBe(false);
    expect(matchesPattern({ resources: ['c'] }, { resources: ['b'] })).toBe(false);
  });

  it('means exactly: source, detail-type, detail.eventSource and detail.eventName each one of the listed values', () => {
    const pick = <T>(xs: T[]) => fc.constantFrom(...xs);
    const absent = Symbol('absent');
    const field = (values: string[]) => fc.oneof(pick<string | symbol | number>([...values, absent, 7]));
    const put = (o: Record<string, unknown>, k: string, v: unknown) => {
      if (v !== absent) o[k] = v;
    };
    fc.assert(
      fc.property(
        field(['aws.appstream', 'aws.ec2', 'aws.states']),
        field(['AWS API Call via CloudTrail', 'AWS Service Event via CloudTrail', 'Scheduled Event']),
        field(['appstream.amazonaws.com', 'ec2.amazonaws.com']),
        field([
          'CreateImageBuilderStreamingURL',
          'CreateStreamingURL',
          'StartImageBuilder',
          'DescribeImageBuilders',
        ]),
        fc.boolean(),
        (source, detailType, eventSource, eventName, hasDetail) => {
          const event: Record<string, unknown> = { account: '123456789012' };
          put(event, 'source', source);
          put(event, 'detail-type', detailType);
          if (hasDetail) {
            const detail: Record<string, unknown> = { requestParameters: { name: 'b1' } };
            put(detail, 'eventSource', eventSource);
            put(detail, 'eventName', eventName);
            event.detail = detail;
          }
          const expected =
            source === 'aws.appstream' &&
            detailType === 'AWS API Call via CloudTrail' &&
            hasDetail &&
            eventSource === 'appstream.amazonaws.com' &&
            (eventName === 'CreateImageBuilderStreamingURL' || eventName === 'StartImageBuilder');
          expect(isConnectionEvent(event)).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('Cleanup recorder: presenceEventPattern', () => {
  const BUCKET = 'autopilot-agent-local';
  /** An S3 "Object Created" event as EventBridge delivers it (S3 User Guide, "EventBridge event message structure"). */
  const s3 = (key: string, over: Record<string, unknown> = {}, bucket = BUCKET) => ({
    version: '0',
    id: 's1',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '123456789012',
    time: '2026-11-26T09:13:00Z',
    region: 'us-east-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: { key, size: 99, etag: 'e', sequencer: '01' },
      'request-id': 'r',
      requester: '123456789012',
      'source-ip-address': '10.0.0.1',
      reason: 'PutObject',
    },
    ...over,
  });

  it('is plain JSON data with a wildcard on the heartbeat key of the agent bucket', () => {
    expect(JSON.parse(JSON.stringify(presenceEventPattern(BUCKET)))).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: {
        bucket: { name: [BUCKET] },
        object: { key: [{ wildcard: `autopilot-agent/*${PRESENCE_KEY_SUFFIX}` }] },
      },
    });
    expect(PRESENCE_KEY_SUFFIX).toBe('/presence/heartbeat.json');
  });

  it('matches heartbeats of the bucket and prefix only', () => {
    const p = presenceEventPattern(BUCKET);
    expect(matchesPattern(s3('autopilot-agent/b1/presence/heartbeat.json'), p)).toBe(true);
    expect(
      matchesPattern(s3('agents/b1/presence/heartbeat.json'), presenceEventPattern(BUCKET, 'agents')),
    ).toBe(true);
    expect(matchesPattern(s3('autopilot-agent/b1/jobs/j.json'), p)).toBe(false);
    expect(matchesPattern(s3('autopilot-agent/b1/presence/heartbeat.json.tmp'), p)).toBe(false);
    expect(matchesPattern(s3('x/autopilot-agent/b1/presence/heartbeat.json'), p)).toBe(false);
    expect(matchesPattern(s3('autopilot-agent/b1/presence/heartbeat.json', {}, 'other'), p)).toBe(false);
    expect(
      matchesPattern(
        s3('autopilot-agent/b1/presence/heartbeat.json', { 'detail-type': 'Object Deleted' }),
        p,
      ),
    ).toBe(false);
  });

  it('reads * as any characters, `/` included, and everything else literally (EventBridge wildcard matching)', () => {
    expect(matchesPattern({ k: 'a/b/c.json' }, { k: [{ wildcard: 'a/*.json' }] })).toBe(true);
    expect(matchesPattern({ k: 'a.json' }, { k: [{ wildcard: 'a*.json' }] })).toBe(true);
    expect(matchesPattern({ k: 'aXjson' }, { k: [{ wildcard: 'a*.json' }] })).toBe(false);
    expect(matchesPattern({ k: 'a(b)' }, { k: [{ wildcard: 'a(*)' }] })).toBe(true);
    expect(matchesPattern({ k: 7 }, { k: [{ wildcard: '*' }] })).toBe(false);
  });

  it('isRecorderEvent: CloudTrail events always, presence events with the agent bucket known', () => {
    const hb = s3('autopilot-agent/b1/presence/heartbeat.json');
    expect(isRecorderEvent(envelope())).toBe(true);
    expect(isRecorderEvent(hb)).toBe(false);
    expect(isRecorderEvent(hb, { bucket: BUCKET })).toBe(true);
    expect(isRecorderEvent(hb, { bucket: 'other' })).toBe(false);
  });
});
