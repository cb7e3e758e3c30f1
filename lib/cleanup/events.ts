/**
 * The connection signal of idle builder cleanup: which CloudTrail events (as EventBridge delivers
 * them, "AWS API Call via CloudTrail") mean "someone connected to an image builder". One
 * definition for the EventBridge rule (serverless.yml, per region) and the local stand-in for
 * EventBridge (local/cleanup-events.ts filters the emulator's event log with the same pattern).
 *
 * - CreateImageBuilderStreamingURL: the streaming URL an admin opens to use a builder; the
 *   console's "Connect" calls it from the browser as the signed-in person (the emulator's console
 *   connect logs it the same way, with `sessionCredentialFromConsole`). No AWS sample record of it
 *   was found (emulator/README.md "CloudTrail events"); IAM lists it as a write action, and a
 *   default-state rule receives every management event except read-only Describe/Get/List ones.
 * - Not included: CreateStreamingURL (fleet sessions, not builders); StartImageBuilder and
 *   CreateImageBuilder (the idle clock's start comes from DescribeImageBuilders' CreatedTime and
 *   cleanup's own `started@` mark, lib/cleanup/decide.ts, so recording them would add calls without
 *   changing a decision).
 */

/** `detail.eventName`s that count as a connection to an image builder. */
export const CONNECTION_EVENT_NAMES = ['CreateImageBuilderStreamingURL'] as const;
export type ConnectionEventName = (typeof CONNECTION_EVENT_NAMES)[number];

export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';
export const APPSTREAM_SOURCE = 'aws.appstream';

/**
 * EventBridge event pattern values used here: an array of exact strings (match any), or a nested
 * object (match its fields). The subset of the pattern language this module needs (EventBridge
 * User Guide, "Event patterns": "Matching values: … an array of values; an event matches if a
 * value in the event is in the array"; nested fields by nested objects).
 */
export type EventPattern = { readonly [field: string]: readonly string[] | EventPattern };

/**
 * The recorder rule's event pattern (serverless.yml `eventBridge.pattern`, as is). Failed calls
 * (`errorCode`) still match: the recorder skips them (a pattern could exclude them with
 * `"errorCode": [{"exists": false}]`, but the recorder must skip them anyway for the local feed and
 * the summary counts them).
 */
export const CONNECTION_EVENT_PATTERN = {
  source: [APPSTREAM_SOURCE],
  'detail-type': [CLOUDTRAIL_DETAIL_TYPE],
  detail: {
    eventSource: ['appstream.amazonaws.com'],
    eventName: [...CONNECTION_EVENT_NAMES],
  },
} as const satisfies EventPattern;

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
      if (!values.some((v) => typeof v === 'string' && (expected as readonly string[]).includes(v)))
        return false;
    } else if (!matchesPattern(value, expected as EventPattern)) return false;
  }
  return true;
}

/** Whether the recorder's EventBridge rule would deliver `event`. */
export const isConnectionEvent = (event: unknown): boolean => matchesPattern(event, CONNECTION_EVENT_PATTERN);
