import { DescribeImageBuildersCommand } from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import type { JobClaim, JobResult } from '../../../lib/agent/job';
import { checkBuild, checkLease } from '../../../lib/pipeline/build';
import { mockDeps } from '../../helpers/mock-deps';

const T0 = Date.parse('2026-11-26T09:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const claim = (heartbeatAt: number, extra: Partial<JobClaim> = {}): JobClaim => ({
  schemaVersion: 2,
  jobId: 'j',
  builderName: 'b',
  agentVersion: '2.0.0',
  claimedAt: iso(T0),
  heartbeatAt: iso(heartbeatAt),
  currentStep: 'command-1-install',
  completedSteps: [],
  ...extra,
});
const names = { builder: 'b', jobId: 'j' };
const at = (now: number, extra: Partial<Parameters<typeof checkLease>[1]> = {}) => ({
  now,
  pickupDeadline: T0 + 15 * 60_000,
  leaseSeconds: 180,
  builderState: 'RUNNING',
  ...extra,
});

describe('Agent lease (CheckBuild)', () => {
  it('waits for a claim until timeouts.agentPickupMinutes, then BuildAgentLost asks whether the agent is baked in', () => {
    expect(() => checkLease(undefined, at(T0 + 14 * 60_000), names)).not.toThrow();
    expect(() => checkLease(undefined, at(T0 + 16 * 60_000), names)).toThrow(
      expect.objectContaining({ name: 'BuildAgentLost', message: expect.stringContaining('is the agent') }),
    );
  });

  it('a heartbeat within the lease keeps the build alive however long it runs', () => {
    expect(() =>
      checkLease(claim(T0 + 5 * 3_600_000), at(T0 + 5 * 3_600_000 + 179_000), names),
    ).not.toThrow();
  });

  it('heartbeats silent for longer than leaseSeconds: BuildAgentLost naming the step and the last heartbeat', () => {
    expect(() => checkLease(claim(T0), at(T0 + 181_000), names)).toThrow(
      expect.objectContaining({
        name: 'BuildAgentLost',
        message: expect.stringMatching(
          /last heartbeat 2026-11-26T09:00:00.000Z during step command-1-install, 181 s ago \(lease 180 s\)/,
        ),
      }),
    );
  });

  it('an announced reboot (rebootExpectedUntil) extends the lease to that time, not further', () => {
    const rebooting = claim(T0, { rebootExpectedUntil: iso(T0 + 20 * 60_000) });
    expect(() => checkLease(rebooting, at(T0 + 19 * 60_000), names)).not.toThrow();
    expect(() => checkLease(rebooting, at(T0 + 21 * 60_000), names)).toThrow(
      expect.objectContaining({ name: 'BuildAgentLost' }),
    );
  });

  it('while AppStream shows the builder REBOOTING the lease does not run out', () => {
    expect(() => checkLease(claim(T0), at(T0 + 600_000, { builderState: 'REBOOTING' }), names)).not.toThrow();
  });
});

describe('CheckBuild with agent protocol 2', () => {
  const builder = { name: 'b', region: 'us-east-1', createdByRun: true, startedByRun: false, deadline: 0 };
  const wait = { firstSeconds: 0, loopWaitSeconds: 0, pollSeconds: 15, windowSeconds: 240 };

  it('fails with BuildAgentLost within one poll of the lease running out, without waiting for the build deadline', async () => {
    const { deps, appstream, channel } = mockDeps(T0);
    appstream.on(DescribeImageBuildersCommand).resolves({ ImageBuilders: [{ Name: 'b', State: 'RUNNING' }] });
    channel.claim = async () => claim(T0 - 60_000);
    const err = await checkBuild(
      {
        builder,
        jobId: 'j',
        deadline: T0 + 3 * 3_600_000,
        pickupDeadline: T0,
        leaseSeconds: 180,
        wait,
        imageMinutes: 60,
      },
      deps,
    ).catch((e: Error) => e);
    expect(err).toMatchObject({ name: 'BuildAgentLost' });
    // Last heartbeat at T0-60s, lease 180 s: noticed at the first poll past T0+120s.
    expect(deps.clock.now() - (T0 + 120_000)).toBeLessThanOrEqual(15_000);
  });

  it('a refused job is BuildAgentRefused with the agent’s reason', async () => {
    const { deps, channel } = mockDeps(T0);
    const refused: JobResult = {
      schemaVersion: 2,
      jobId: 'j',
      builderName: 'b',
      agentVersion: '2.0.0',
      status: 'refused',
      reason: 'bad signature: the job was not signed by this pipeline',
      finishedAt: iso(T0),
      steps: [],
    };
    channel.result = async () => refused;
    await expect(
      checkBuild({ builder, jobId: 'j', deadline: T0 + 3_600_000, wait, imageMinutes: 60 }, deps),
    ).rejects.toMatchObject({
      name: 'BuildAgentRefused',
      message:
        "The agent on image builder 'b' refused build job j: bad signature: the job was not signed by this pipeline",
    });
  });
});
