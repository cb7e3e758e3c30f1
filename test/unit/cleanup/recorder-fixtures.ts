/** The recorder unit tests' mocked AppStream client and tag store for builder b1. */
import {
  AppStreamClient,
  ListTagsForResourceCommand,
  type ListTagsForResourceCommandOutput,
  TagResourceCommand,
} from '@aws-sdk/client-appstream';
import { mockClient } from 'aws-sdk-client-mock';
import type { CleanupDeps } from '../../../lib/cleanup/deps';

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
export const ARN = `arn:aws:appstream:${REGION}:${ACCOUNT}:image-builder/b1`;

export const client = new AppStreamClient({ region: REGION });
export const appstream = mockClient(client);
/** The account and region of every client the recorder asked for, in order. */
export const asked: { account: string; region: string }[] = [];
export const deps: CleanupDeps = {
  deployment: 'test',
  region: REGION,
  appstream: (account, region) => {
    asked.push({ account, region });
    return client;
  },
  clock: { now: () => 0 },
};

/** A fake tag store for b1: ListTagsForResource reads it, TagResource writes it. */
export function tagStore(initial: Record<string, string> = {}) {
  const tags = { ...initial };
  appstream
    .on(ListTagsForResourceCommand, { ResourceArn: ARN })
    .callsFake(async (): Promise<Partial<ListTagsForResourceCommandOutput>> => ({ Tags: { ...tags } }));
  appstream.on(TagResourceCommand, { ResourceArn: ARN }).callsFake(async (input) => {
    Object.assign(tags, input.Tags);
    return {};
  });
  return tags;
}

/** Resets the mock and the accounts asked for (beforeEach). */
export function resetRecorderMocks() {
  appstream.reset();
  asked.length = 0;
}

/**
 * The EventBridge envelope ("AWS API Call via CloudTrail") of a CloudTrail record of the AppStream
 * call `eventName` on builder b1; `detail` overrides fields of the record.
 */
export function cloudTrailEvent(eventName: string, eventTime: string, detail: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: `id-${eventName}-${eventTime}`,
    'detail-type': 'AWS API Call via CloudTrail' as const,
    source: 'aws.appstream' as const,
    account: ACCOUNT,
    time: eventTime,
    region: REGION,
    resources: [],
    detail: {
      eventVersion: '1.08',
      eventTime,
      eventSource: 'appstream.amazonaws.com',
      eventName,
      awsRegion: REGION,
      requestParameters: { name: 'b1' },
      responseElements: null,
      ...detail,
    } as Record<string, unknown> & { eventName: string; eventTime: string },
  };
}
