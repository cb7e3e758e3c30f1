/** The sweep unit tests' mocked AppStream and tagging clients and the sweep's dependencies. */
import { AppStreamClient } from '@aws-sdk/client-appstream';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { mockClient } from 'aws-sdk-client-mock';
import type { CleanupDeps } from '../../../lib/cleanup/deps';

export const NOW = Date.parse('2026-11-27T12:00:00Z');
export const ACCOUNT = '123456789012';

export const appstream = new AppStreamClient({ region: 'us-east-1', maxAttempts: 1 });
export const tagging = new ResourceGroupsTaggingAPIClient({ region: 'us-east-1', maxAttempts: 1 });
export const as = mockClient(appstream);
export const tg = mockClient(tagging);

export const arn = (n: string, account = ACCOUNT) =>
  `arn:aws:appstream:us-east-1:${account}:image-builder/${n}`;

/** A deployment in ACCOUNT/us-east-1 at NOW, every scope with the connection signal, no notifier. */
export const sweepDeps = (extra: Partial<CleanupDeps> = {}): CleanupDeps => ({
  deployment: 'prod',
  region: 'us-east-1',
  account: ACCOUNT,
  appstream: () => appstream,
  tagging: () => tagging,
  clock: { now: () => NOW },
  connectionSignal: () => true,
  ...extra,
});
