import { AppStreamClient } from '@aws-sdk/client-appstream';
import { mockClient } from 'aws-sdk-client-mock';
import type { BuilderChannel } from '../../lib/agent/channel';
import { MemoryNotifier } from '../../lib/notify/sns';
import type { PipelineDeps } from '../../lib/pipeline/deps';

/** Pipeline deps over a mocked AppStream client and a hand-driven clock. */
export function mockDeps(start = Date.parse('2026-11-26T09:00:00Z')) {
  const client = new AppStreamClient({ region: 'us-east-1' });
  const appstream = mockClient(client);
  let now = start;
  const slept: number[] = [];
  const channel: BuilderChannel & { submitted: unknown[] } = {
    submitted: [],
    async submit(_region, job) {
      this.submitted.push(job);
    },
    async claim() {
      return undefined;
    },
    async result() {
      return undefined;
    },
  };
  const deps: PipelineDeps = {
    deployment: 'local',
    region: 'us-east-1',
    appstream: () => client,
    channel,
    notifier: new MemoryNotifier(),
    clock: { now: () => now },
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
  return { deps, appstream, channel, slept, advance: (ms: number) => (now += ms) };
}
