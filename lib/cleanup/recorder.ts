/**
 * The connection recorder of idle builder cleanup: an EventBridge rule (CONNECTION_EVENT_PATTERN,
 * lib/cleanup/events.ts) delivers the CloudTrail event of a connection to an image builder, and
 * the recorder writes its time on the builder as TAG.lastConnection (format: lib/cleanup/marks.ts,
 * a UTC minute rounded up, beside an optional `presence@…`), where the cleanup decision reads it.
 *
 * EventBridge delivers at least once and in no particular order, so the tag only ever moves
 * forward: ListTagsForResource first, TagResource only when the event is newer than what the tag
 * holds (a duplicate or an older event changes nothing). Two calls race only if two writers run at
 * once: deploy the function with reserved concurrency 1 (connections are rare), and the local feed
 * is sequential.
 *
 * The builder lives in the event's account and region (`account`, `region` of the envelope; a rule
 * forwarding to another bus keeps them): deps.appstream(account, region) acts there.
 */
import { ListTagsForResourceCommand, TagResourceCommand } from '@aws-sdk/client-appstream';
import { z } from 'zod';
import { aws, isNotFound, unexpected } from '../aws/call';
import { TAG } from '../tags';
import type { RecorderDeps } from './deps';
import { APPSTREAM_SOURCE, CLOUDTRAIL_DETAIL_TYPE, CONNECTION_EVENT_NAMES } from './events';
import { isoMinute, recordConnection as mergeActivity, parseInstant, parseLastConnection } from './marks';

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
 * Records one "AWS API Call via CloudTrail" event of a connection to an image builder (the
 * function's input, validated by ConnectionEventSchema): TAG.lastConnection = the event's time,
 * unless the tag already holds that minute or a later one. Skipped: other calls, failed calls
 * (errorCode: a refused streaming URL is no connection), builders that no longer exist.
 * Throws AwsTransientError (throttling, 5xx, network: EventBridge/Lambda retry), AwsRequestError
 * (anything else AWS refused) or ConfigError (no way into the event's account).
 */
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
  if (!(CONNECTION_EVENT_NAMES as readonly string[]).includes(detail.eventName))
    return skipped(`${detail.eventName} is not a connection event`);
  if (detail.errorCode) return skipped(`${detail.eventName} failed (${detail.errorCode}): not a connection`);
  return recordActivity(
    { account, region, builder },
    { kind: 'connect', at: parseInstant(detail.eventTime)! },
    deps,
  );
}

/**
 * Moves a builder's TAG.lastConnection forward to `activity` (a connection, or a presence
 * heartbeat of the builder agent), never back; the other part of the tag is kept.
 */
export async function recordActivity(
  target: { account: string; region: string; builder: string },
  activity: { kind: 'connect' | 'presence'; at: number },
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
  const what = activity.kind === 'connect' ? 'connection' : 'presence';
  const gone = () => result('skipped', `builder ${builder} no longer exists in ${account}/${region}`);

  let current: string | undefined;
  try {
    const out = await aws(`ListTagsForResource ${arn}`, () =>
      client.send(new ListTagsForResourceCommand({ ResourceArn: arn })),
    );
    current = out.Tags?.[TAG.lastConnection];
  } catch (err) {
    if (isNotFound(err)) return gone();
    throw unexpected(`ListTagsForResource ${arn}`, err);
  }

  const next = mergeActivity(current, activity);
  if (next === current) {
    const held = parseLastConnection(current);
    const heldAt = activity.kind === 'connect' ? held?.connectedAt : held?.presenceAt;
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
      client.send(new TagResourceCommand({ ResourceArn: arn, Tags: { [TAG.lastConnection]: next } })),
    );
  } catch (err) {
    if (isNotFound(err)) return gone();
    throw unexpected(`TagResource ${arn}`, err);
  }
  const unreadable =
    current !== undefined && current.trim() !== '' && parseLastConnection(current) === undefined;
  return result(
    'recorded',
    `${what} ${isoMinute(activity.at)}${unreadable ? ` (replaced unreadable '${current}')` : current ? ` (was '${current}')` : ''}`,
    next,
  );
}
