import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { AppStreamClient } from '@aws-sdk/client-appstream';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { mockClient } from 'aws-sdk-client-mock';
import type { ScheduleDeps } from '../../lib/schedule/deps';

/**
 * The fleet schedule's dependencies over mocked SDK clients (aws-sdk-client-mock) in us-east-1,
 * with the clock stopped at `now`: the test tells `mocks` what the reads answer.
 */
export function mockScheduleDeps(now: number) {
  const clients = {
    appstream: new AppStreamClient({ region: 'us-east-1', maxAttempts: 1 }),
    autoscaling: new ApplicationAutoScalingClient({ region: 'us-east-1', maxAttempts: 1 }),
    ec2: new EC2Client({ region: 'us-east-1', maxAttempts: 1 }),
    tagging: new ResourceGroupsTaggingAPIClient({ region: 'us-east-1', maxAttempts: 1 }),
  };
  const mocks = {
    appstream: mockClient(clients.appstream),
    autoscaling: mockClient(clients.autoscaling),
    ec2: mockClient(clients.ec2),
    tagging: mockClient(clients.tagging),
  };
  const deps: ScheduleDeps = {
    deployment: 'local',
    region: 'us-east-1',
    appstream: () => clients.appstream,
    autoscaling: () => clients.autoscaling,
    ec2: () => clients.ec2,
    tagging: () => clients.tagging,
    clock: { now: () => now },
  };
  return { mocks, deps };
}
