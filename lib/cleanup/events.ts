/**
 * The activity signals of idle builder cleanup, as EventBridge delivers them to the recorder
 * (lib/cleanup/recorder.ts). One definition for the EventBridge rules (serverless.yml, per region)
 * and the local stand-in for EventBridge (local/cleanup-events.ts filters the emulator's event log
 * with the same patterns).
 *
 * CloudTrail ("AWS API Call via CloudTrail", BUILDER_EVENT_PATTERN):
 * - CreateImageBuilderStreamingURL: the streaming URL an admin opens to use a builder; the
 *   console's "Connect" calls it from the browser as the signed-in person (the emulator's console
 *   connect logs it the same way, with `sessionCredentialFromConsole`). No AWS sample record of it
 *   was found (emulator/README.md "CloudTrail events"); IAM lists it as a write action, and a
 *   default-state rule receives every management event except read-only Describe/Get/List ones.
 * - CreateImageBuilder: the builder's creation (its idle clock starts, and `userIdentity.arn` names
 *   its creator: `arn:aws:iam::<account>:user/Alice` for an IAM user,
 *   `arn:aws:sts::<account>:assumed-role/<role>/<session>` for an assumed role,
 *   `arn:aws:iam::<account>:root` for the root user: CloudTrail User Guide, "CloudTrail userIdentity
 *   element"). The request parameters are the API's, camel-cased (`requestParameters.name`, the
 *   API's Name), like every CloudTrail record of AppStream.
 * - StartImageBuilder: a stopped builder starts again (its idle clock restarts there).
 * - Not included: CreateStreamingURL (fleet sessions, not builders).
 *
 * S3 ("Object Created", presenceEventPattern): the builder agent's presence heartbeat
 * (`<prefix>/<builder>/presence/heartbeat.json`, agent/PROTOCOL.md) written to the agent bucket,
 * which sends its events to EventBridge (NotificationConfiguration.EventBridgeConfiguration). The
 * envelope (S3 User Guide, "EventBridge event message structure", Object created): `source`
 * `aws.s3`, `detail-type` `Object Created`, `account` (the bucket owner), `time` (when the event
 * occurred), `region` (the bucket's), `resources` [the bucket ARN], `detail.bucket.name`,
 * `detail.object.{key,size,etag,sequencer}`, `detail.reason` (`PutObject`, …).
 */

/** `detail.eventName`s that count as a connection to an image builder. */
export const CONNECTION_EVENT_NAMES = ['CreateImageBuilderStreamingURL'] as const;
export type ConnectionEventName = (typeof CONNECTION_EVENT_NAMES)[number];
/** `detail.eventName`s that (re)start a builder's idle clock. */
export const START_EVENT_NAMES = ['CreateImageBuilder', 'StartImageBuilder'] as const;
/** Every CloudTrail call the recorder records. */
export const BUILDER_EVENT_NAMES = [...CONNECTION_EVENT_NAMES, ...START_EVENT_NAMES] as const;

export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';
export const APPSTREAM_SOURCE = 'aws.appstream';
export const S3_SOURCE = 'aws.s3';
export const OBJECT_CREATED_DETAIL_TYPE = 'Object Created';
/** The agent prefix of the bucket (serverless.yml AGENT_PREFIX). */
export const DEFAULT_AGENT_PREFIX = 'autopilot-agent';
/** A presence heartbeat's key ends with this (`<prefix>/<builder>/presence/heartbeat.json`). */
export const PRESENCE_KEY_SUFFIX = '/presence/heartbeat.json';

/**
 * EventBridge event pattern values used here: an array of exact strings or `{"wildcard": …}`
 * objects (match any), or a nested object (match its fields). The subset of the pattern language
 * this module needs (EventBridge User Guide, "Event patterns": "Matching values: … an array of
 * values; an event matches if a value in the event is in the array"; nested fields by nested
 * objects; "Comparison operators": `{"wildcard": …}`, whose `*` matches zero or more characters,
 * `/` included: the guide's example matches file paths containing `/lib/` with a star on either
 * side of `/lib/`).
 */
export type PatternValue = string | { readonly wildcard: string };
export type EventPattern = { readonly [field: string]: readonly PatternValue[] | EventPattern };

/**
 * The recorder's CloudTrail rule (serverless.yml `eventBridge.pattern`, as is). Failed calls
 * (`errorCode`) still match: the recorder skips them (a pattern could exclude them with
 * `"errorCode": [{"exists": false}]`, but the recorder must skip them anyway for the local feed and
 * the summary counts them).
 */
export const CONNECTION_EVENT_PATTERN = {
  source: [APPSTREAM_SOURCE],
  'detail-type': [CLOUDTRAIL_DETAIL_TYPE],
  detail: {
    eventSource: ['appstream.amazonaws.com'],
    eventName: [...BUILDER_EVENT_NAMES],
  },
} as const satisfies EventPattern;
/** The same pattern under the name of what it matches now (connections, creations, starts). */
export const BUILDER_EVENT_PATTERN = CONNECTION_EVENT_PATTERN;

/**
 * The recorder's S3 rule: presence heartbeats created in the agent bucket `bucket` under `prefix`
 * (serverless.yml: the same pattern on AgentBucket; locally the emulator's EMULATOR_AGENT_BUCKET).
 */
export function presenceEventPattern(bucket: string, prefix = DEFAULT_AGENT_PREFIX) {
  return {
    source: [S3_SOURCE],
    'detail-type': [OBJECT_CREATED_DETAIL_TYPE],
    detail: {
      bucket: { name: [bucket] },
      object: { key: [{ wildcard: `${prefix}/*${PRESENCE_KEY_SUFFIX}` }] },
    },
  } as const satisfies EventPattern;
}

/** Whether `text` matches an EventBridge wildcard (`*`: zero or more characters, `/` included). */
function matchesWildcard(text: string, wildcard: string): boolean {
  const re = wildcard
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${re}$`, 's').test(text);
}

const matchesValue = (v: unknown, expected: PatternValue) =>
  typeof v === 'string' &&
  (typeof expected === 'string' ? v === expected : matchesWildcard(v, expected.wildcard));

/**
 * Whether `event` matches `pattern` the way EventBridge matches: every field the pattern names must
 * be present; an array matches when the event's value (a string, or any element of an array
 * value) equals one of its values; a nested object matches the nested fields. Fields the pattern
 * doesn't name are ignored.
 */
export function matchesPattern(event: unknown, pattern: EventPattern): boolean {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return false;
  for (const [field, expected] of Object.entries(pattern)) {
    if (!Object.hasOwn(event, field)) return false;
    const value = (event as Record<string, unknown>)[field];
    if (Array.isArray(expected)) {
      const values = Array.isArray(value) ? value : [value];
      if (!values.some((v) => (expected as readonly PatternValue[]).some((x) => matchesValue(v, x))))
        return false;
    } else if (!matchesPattern(value, expected as EventPattern)) return false;
  }
  return true;
}

/** Whether the recorder's CloudTrail rule would deliver `event`. */
export const isConnectionEvent = (event: unknown): boolean => matchesPattern(event, CONNECTION_EVENT_PATTERN);

/**
 * Whether one of the recorder's rules would deliver `event`: the CloudTrail rule, or (with the
 * agent bucket known) the presence rule.
 */
export const isRecorderEvent = (event: unknown, agent?: { bucket: string; prefix?: string }): boolean =>
  isConnectionEvent(event) ||
  (agent !== undefined && matchesPattern(event, presenceEventPattern(agent.bucket, agent.prefix)));
