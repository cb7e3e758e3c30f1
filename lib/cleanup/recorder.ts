/**
 * The activity recorder of idle builder cleanup: EventBridge rules (BUILDER_EVENT_PATTERN and
 * presenceEventPattern, lib/cleanup/events.ts) deliver
 * - the CloudTrail event of a connection to an image builder (CreateImageBuilderStreamingURL),
 *   recorded as the connection time in TAG.lastConnection;
 * - the CloudTrail event of a builder's creation (CreateImageBuilder), recorded as `started@` in
 *   TAG.lastConnection and its creator (`userIdentity.arn`, as a tag value) in TAG.creator;
 * - the CloudTrail event of a start (StartImageBuilder), recorded as `started@`;
 * - the S3 event of the builder agent's presence heartbeat in the agent bucket (env AGENT_BUCKET,
 *   AGENT_PREFIX), recorded as `presence@` the S3 event's `time` (not the body's `at`: the
 *   builder's clock is not trusted, and the body is not read).
 * The tag's format: lib/cleanup/marks.ts (UTC minutes rounded up); the cleanup decision reads it.
 * Failed calls (errorCode) change nothing.
 *
 * EventBridge delivers at least once and in no particular order, so each value only ever moves
 * forward: ListTagsForResource first, TagResource only when the event is newer than what the tag
 * holds (a duplicate or an older event changes nothing; the tag's other tokens are kept). Two calls
 * race only if two writers run at once: deploy the function with reserved concurrency 1, and the
 * local feed is sequential.
 *
 * The builder lives in the event's account and region (`account`, `region` of the envelope; a rule
 * forwarding to another bus keeps them): deps.appstream(account, region) acts there. An S3 event's
 * account and region are the agent bucket's (the deployment's), not the writer's: a heartbeat is
 * credited to the builder of that name in the deployment's account and region. So presence works
 * for builders in the agent bucket's account and region only; elsewhere (another member account or
 * region) a heartbeat tags nothing (or a same-named builder here, which it can only keep alive a
 * little longer: presence never makes a builder idle sooner, lib/cleanup/decide.ts), and connection
 * + sessionGrace governs there.
 */
import { ListTagsForResourceCommand, TagResourceCommand } from '@aws-sdk/client-appstream';
import { z } from 'zod';
import { aws, isNotFound, unexpected } from '../aws/call';
import { TAG, tagValue } from '../tags';
import type { RecorderDeps } from './deps';
import {
  APPSTREAM_SOURCE,
  BUILDER_EVENT_NAMES,
  CLOUDTRAIL_DETAIL_TYPE,
  CONNECTION_EVENT_NAMES,
  DEFAULT_AGENT_PREFIX,
  OBJECT_CREATED_DETAIL_TYPE,
  PRESENCE_KEY_SUFFIX,
  S3_SOURCE,
} from './events';
import {
  type ActivityKind,
  activityKey,
  isoMinute,
  recordConnection as mergeActivity,
  parseInstant,
  parseLastConnection,
} from './marks';

/** AppStream resource names (image builders): the API's Name pattern. */
const BUILDER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,100}$/;
const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/**
 * The fields of an "AWS API Call via CloudTrail" envelope the recorder needs (everything else is
 * kept and ignored). `detail.requestParameters.name` is required unless the call failed
 * (`errorCode`): a call refused before its input was read carries `requestParameters: null`.
 */
export const ConnectionEventSchema = z.looseObject({
  source: z.literal(APPSTREAM_SOURCE),
  'detail-type': z.literal(CLOUDTRAIL_DETAIL_TYPE),
  account: z.string().regex(ACCOUNT_ID, 'must be a 12-digit AWS account id'),
  region: z.string().regex(REGION, 'must be an AWS region such as eu-west-1'),
  id: z.string().optional(),
  detail: z
    .looseObject({
      eventName: z.string().min(1),
      eventTime: z
        .string()
        .refine(
          (t) => parseInstant(t) !== undefined,
          'must be an ISO 8601 UTC time such as 2026-11-26T09:13:00Z',
        ),
      errorCode: z.string().nullish(),
      // Who called (CreateImageBuilder: the creator). Absent arn: an AWS service, or a record
      // without one (CloudTrail User Guide, "CloudTrail userIdentity element").
      userIdentity: z.looseObject({ type: z.string().optional(), arn: z.string().optional() }).nullish(),
      requestParameters: z
        .looseObject({
          name: z
            .string()
            .regex(BUILDER_NAME, 'must be an image builder name (1-101 letters, digits, _ . -)')
            .optional(),
        })
        .nullish(),
    })
    .superRefine((d, ctx) => {
      if (!d.errorCode && d.requestParameters?.name === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['requestParameters', 'name'],
          message: 'required (the builder)',
        });
    }),
});
export type ConnectionEvent = z.infer<typeof ConnectionEventSchema>;

/**
 * An S3 "Object Created" event as EventBridge delivers it (S3 User Guide, "EventBridge event
 * message structure"): the fields the recorder needs, the rest kept and ignored.
 */
export const PresenceEventSchema = z.looseObject({
  source: z.literal(S3_SOURCE),
  'detail-type': z.string().min(1),
  account: z.string().regex(ACCOUNT_ID, 'must be a 12-digit AWS account id'),
  region: z.string().regex(REGION, 'must be an AWS region such as eu-west-1'),
  id: z.string().optional(),
  time: z
    .string()
    .refine(
      (t) => parseInstant(t) !== undefined,
      'must be an ISO 8601 UTC time such as 2026-11-26T09:13:00Z',
    ),
  detail: z.looseObject({
    bucket: z.looseObject({ name: z.string().min(1) }),
    object: z.looseObject({ key: z.string().min(1) }),
  }),
});
export type PresenceEvent = z.infer<typeof PresenceEventSchema>;

/** What the recorder function accepts: an AppStream CloudTrail event or an S3 event (by `source`). */
export const RecorderEventSchema = z.discriminatedUnion('source', [
  ConnectionEventSchema,
  PresenceEventSchema,
]);
export type RecorderEvent = z.infer<typeof RecorderEventSchema>;

/** Where the builder agent writes (env AGENT_BUCKET, AGENT_PREFIX): presence events elsewhere are skipped. */
export interface AgentLocation {
  bucket: string;
  prefix: string;
}

/** The agent bucket of the environment (serverless.yml provider.environment); undefined without AGENT_BUCKET. */
export function agentFromEnv(env: Record<string, string | undefined>): AgentLocation | undefined {
  const bucket = env.AGENT_BUCKET?.trim();
  return bucket ? { bucket, prefix: env.AGENT_PREFIX?.trim() || DEFAULT_AGENT_PREFIX } : undefined;
}

export interface RecorderResult {
  builder: string;
  account: string;
  region: string;
  action: 'recorded' | 'unchanged' | 'skipped';
  reason: string;
  /** TAG.lastConnection after the call (recorded, unchanged). */
  value?: string;
}

/** The partition of a region: China and GovCloud are their own. */
const partition = (region: string) =>
  region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';

/** An image builder's ARN. */
export const builderArn = (account: string, region: string, name: string) =>
  `arn:${partition(region)}:appstream:${region}:${account}:image-builder/${name}`;

/**
 * Records one event the recorder's rules deliver (RecorderEventSchema): a CloudTrail connection,
 * creation or start, or an S3 presence heartbeat; see the module comment. Skipped (with the reason):
 * other calls, failed calls (errorCode: a refused streaming URL is no connection, a refused create
 * no builder), objects outside the agent bucket's presence keys, builders that no longer exist.
 * Throws AwsTransientError (throttling, 5xx, network: EventBridge/Lambda retry), AwsRequestError
 * (anything else AWS refused) or ConfigError (no way into the event's account).
 */
export async function recordEvent(
  event: RecorderEvent,
  deps: RecorderDeps & { agent?: AgentLocation },
): Promise<RecorderResult> {
  if (event.source === S3_SOURCE) return recordPresence(event, deps);
  return recordConnection(event, deps);
}

/** The CloudTrail half of recordEvent. */
export async function recordConnection(event: ConnectionEvent, deps: RecorderDeps): Promise<RecorderResult> {
  const { account, region, detail } = event;
  const builder = detail.requestParameters?.name ?? '';
  const skipped = (reason: string): RecorderResult => ({
    builder,
    account,
    region,
    action: 'skipped',
    reason,
  });
  const name = detail.eventName;
  if (!(BUILDER_EVENT_NAMES as readonly string[]).includes(name))
    return skipped(`${name} is not a connection, creation or start of an image builder`);
  if (detail.errorCode) {
    const why =
      { CreateImageBuilder: 'no builder', StartImageBuilder: 'not started' }[name] ?? 'not a connection';
    return skipped(`${name} failed (${detail.errorCode}): ${why}`);
  }
  const at = parseInstant(detail.eventTime)!;
  const target = { account, region, builder };
  if ((CONNECTION_EVENT_NAMES as readonly string[]).includes(name))
    return recordActivity(target, { kind: 'connect', at }, deps);
  // CreateImageBuilder names the creator (recordActivity: never rewritten by an older creation).
  const arn = name === 'CreateImageBuilder' ? detail.userIdentity?.arn : undefined;
  const creator = arn ? tagValue(arn) : undefined;
  return recordActivity(target, { kind: 'start', at, ...(creator ? { creator } : {}) }, deps);
}

/** The S3 half of recordEvent: a presence heartbeat of the builder agent. */
export async function recordPresence(
  event: PresenceEvent,
  deps: RecorderDeps & { agent?: AgentLocation },
): Promise<RecorderResult> {
  const { account, region, detail } = event;
  const key = detail.object.key;
  const skipped = (reason: string, builder = ''): RecorderResult => ({
    builder,
    account,
    region,
    action: 'skipped',
    reason,
  });
  const agent = deps.agent;
  if (!agent)
    return skipped(`no agent bucket configured (AGENT_BUCKET): s3://${detail.bucket.name}/${key} ignored`);
  if (event['detail-type'] !== OBJECT_CREATED_DETAIL_TYPE)
    return skipped(`${event['detail-type']} is not an object creation`);
  if (detail.bucket.name !== agent.bucket)
    return skipped(`bucket ${detail.bucket.name} is not the agent bucket ${agent.bucket}`);
  const head = `${agent.prefix}/`;
  const builder =
    key.startsWith(head) && key.endsWith(PRESENCE_KEY_SUFFIX)
      ? key.slice(head.length, key.length - PRESENCE_KEY_SUFFIX.length)
      : undefined;
  if (builder === undefined || !BUILDER_NAME.test(builder))
    return skipped(`${key} is not a presence heartbeat (${head}<builder>${PRESENCE_KEY_SUFFIX})`);
  return recordActivity(
    { account, region, builder },
    { kind: 'presence', at: parseInstant(event.time)! },
    deps,
  );
}

/**
 * Moves a builder's TAG.lastConnection forward to `activity` (a connection, or a presence
 * heartbeat of the builder agent), never back; the other part of the tag is kept.
 */
export async function recordActivity(
  target: { account: string; region: string; builder: string },
  activity: { kind: ActivityKind; at: number; creator?: string },
  deps: RecorderDeps,
): Promise<RecorderResult> {
  const { account, region, builder } = target;
  const result = (action: RecorderResult['action'], reason: string, value?: string): RecorderResult => ({
    builder,
    account,
    region,
    action,
    reason,
    ...(value !== undefined ? { value } : {}),
  });
  const arn = builderArn(account, region, builder);
  const client = deps.appstream(account, region);
  const what = { connect: 'connection', presence: 'presence', start: 'start' }[activity.kind];
  const gone = () => result('skipped', `builder ${builder} no longer exists in ${account}/${region}`);

  let current: string | undefined;
  let creator: string | undefined;
  try {
    const out = await aws(`ListTagsForResource ${arn}`, () =>
      client.send(new ListTagsForResourceCommand({ ResourceArn: arn })),
    );
    current = out.Tags?.[TAG.lastConnection];
    creator = out.Tags?.[TAG.creator];
  } catch (err) {
    if (isNotFound(err)) return gone();
    throw unexpected(`ListTagsForResource ${arn}`, err);
  }

  const next = mergeActivity(current, activity);
  const writes: Record<string, string> = {};
  if (next !== current) writes[TAG.lastConnection] = next;
  // The creator is written when none is known, or by a creation newer than anything recorded (a
  // builder of the same name created again); an older, replayed creation never rewrites it.
  if (activity.creator !== undefined && activity.creator !== creator && (!creator || next !== current))
    writes[TAG.creator] = activity.creator;
  if (Object.keys(writes).length === 0) {
    const held = parseLastConnection(current);
    const heldAt = held?.[activityKey(activity.kind)];
    const same = heldAt !== undefined && isoMinute(heldAt) === isoMinute(activity.at);
    return result(
      'unchanged',
      same
        ? `${what} ${isoMinute(activity.at)} already recorded`
        : `${what} ${isoMinute(activity.at)} is older than the recorded ${isoMinute(heldAt ?? activity.at)}`,
      current,
    );
  }
  try {
    await aws(`TagResource ${arn}`, () =>
      client.send(new TagResourceCommand({ ResourceArn: arn, Tags: writes })),
    );
  } catch (err) {
    if (isNotFound(err)) return gone();
    throw unexpected(`TagResource ${arn}`, err);
  }
  const unreadable =
    current !== undefined && current.trim() !== '' && parseLastConnection(current) === undefined;
  const moved =
    writes[TAG.lastConnection] === undefined
      ? `${what} ${isoMinute(activity.at)} already recorded`
      : `${what} ${isoMinute(activity.at)}${unreadable ? ` (replaced unreadable '${current}')` : current ? ` (was '${current}')` : ''}`;
  const named = writes[TAG.creator] !== undefined ? `; creator ${writes[TAG.creator]}` : '';
  return result('recorded', `${moved}${named}`, next);
}
