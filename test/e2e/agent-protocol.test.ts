import { describe, expect, it } from 'vitest';
import {
  type CommandRunner,
  type EmulatorChannelOptions,
  recordCommand,
} from '../../lib/agent/emulator-channel';
import { JobResultSchema } from '../../lib/agent/job';
import { LocalJobSigner, signJob } from '../../lib/agent/signer';
import { localChannel } from '../../local/local-deps';
import type { ProgressEvent } from '../../local/runner';
import { useEmulator } from '../helpers/emulator';
import { BILLING_STATES, builders, runPipeline, samplePipeline } from '../helpers/pipeline';

const f = useEmulator({ jitterSigma: 0 });
const HOUR = 3_600_000;

/** Runs the pipeline with the emulated agent configured by `agent`; collects every progress event. */
async function runWithAgent(
  agent: EmulatorChannelOptions,
  config = samplePipeline(),
  runCommand?: CommandRunner,
) {
  const channel = localChannel(f.emu, { ...agent, runCommand });
  const events: ProgressEvent[] = [];
  const out = await runPipeline(f, config, { channel, onProgress: (e) => events.push(e) });
  return { ...out, channel, events };
}

/** Nothing the failed run launched is left costing money once cleanup has had its time. */
async function expectNothingBilling() {
  f.emu.control.advance(HOUR);
  for (const b of await builders(f)) expect(BILLING_STATES, b.name).not.toContain(b.state);
}

const caughtAt = (events: ProgressEvent[], state: string) =>
  events.find((e) => e.type === 'caught' && e.state === state) ??
  events.find((e) => e.type === 'exited' && e.state === state && e.error);

describe('Agent protocol 2: the pipeline and the (emulated) builder agent', () => {
  it('a normal run: the job is signed, claimed with heartbeats, and every document may carry a BOM', async () => {
    const { result, summary, channel } = await runWithAgent({ bom: true });
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(summary.image).toMatchObject({ state: 'AVAILABLE' });
    const docs = [...channel.documents.entries()];
    const job = docs.find(([k]) => k.includes('/jobs/'))![1];
    expect(JSON.parse(job)).toMatchObject({
      schemaVersion: 2,
      keyId: 'local',
      algorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
    });
    expect(docs.find(([k]) => k.includes('/claims/'))![1].charCodeAt(0)).toBe(0xfeff);
  });

  describe('a job a builder role could have written is refused, and the run cleans up (BuildAgentRefused)', () => {
    const other = new LocalJobSigner();
    const cases: [string, EmulatorChannelOptions['tamper'], RegExp][] = [
      ['signed with another key', (_e, job) => signJob(job, other), /bad-signature: /],
      ['unsigned (a bare job document)', (_e, job) => job, /unsigned: /],
      ['signature stripped', (e) => ({ ...e, signature: '' }), /unsigned: /],
    ];
    it.each(cases)('%s', async (_name, tamper, reason) => {
      const { result } = await runWithAgent({ tamper });
      expect(result.error).toBe('BuildAgentRefused');
      expect(result.cause).toMatch(reason);
      await expectNothingBilling();
    });

    it('expired, or for another builder: refused even with the pipeline’s own signature', async () => {
      let channel: ReturnType<typeof localChannel> | undefined;
      const sign = (job: Parameters<typeof signJob>[0]) => signJob(job, channel!.signer);
      for (const [tamper, reason] of [
        [
          (_e: unknown, job: Parameters<typeof signJob>[0]) => sign({ ...job, expiresAt: job.createdAt }),
          /expired: the job expired at/,
        ],
        [
          (_e: unknown, job: Parameters<typeof signJob>[0]) => sign({ ...job, builderName: 'someone-else' }),
          /foreign-builder: the job is for image builder 'someone-else'/,
        ],
      ] as const) {
        channel = localChannel(f.emu, { tamper });
        const { result } = await runPipeline(f, samplePipeline(), { channel });
        expect(result.error).toBe('BuildAgentRefused');
        expect(result.cause).toMatch(reason);
      }
      await expectNothingBilling();
    });
  });

  it('an agent that stops heartbeating is BuildAgentLost within its lease (plus one poll), and the builder is stopped', async () => {
    const { result, events, channel } = await runWithAgent({
      behaviour: () => ({ kind: 'dies', atStep: 'create-image-dry-run' }),
    });
    expect(result.error).toBe('BuildAgentLost');
    expect(result.cause).toContain('during step create-image-dry-run');
    const claim = JSON.parse([...channel.documents.entries()].find(([k]) => k.includes('/claims/'))![1]);
    const lostAt = caughtAt(events, 'CheckBuild')!.virtualTime;
    const silent = lostAt - Date.parse(claim.heartbeatAt);
    expect(silent).toBeGreaterThan(180_000);
    expect(silent).toBeLessThanOrEqual(180_000 + 15_000 + 1_000);
    await expectNothingBilling();
  });

  it('no agent on the builder: BuildAgentLost once timeouts.agentPickupMinutes has passed, not after buildMinutes', async () => {
    const config = samplePipeline({ timeouts: { agentPickupMinutes: 10 } });
    const { result, events } = await runWithAgent({ behaviour: () => ({ kind: 'absent' }) }, config);
    expect(result.error).toBe('BuildAgentLost');
    expect(result.cause).toContain('is the agent');
    const submitted = events.find((e) => e.type === 'entered' && e.state === 'SubmitBuild')!.virtualTime;
    const lostAfter = caughtAt(events, 'CheckBuild')!.virtualTime - submitted;
    expect(lostAfter).toBeGreaterThan(10 * 60_000);
    expect(lostAfter).toBeLessThan(12 * 60_000);
    await expectNothingBilling();
  });

  it('a long step keeps heartbeating: no false BuildAgentLost', async () => {
    const { result } = await runWithAgent({ stepSeconds: (s) => (s.kind === 'command' ? 2 * 3600 : 0) });
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
  });

  it('an outdated (protocol 1) agent fails the run with BuildAgentOutdated naming the agent to bake', async () => {
    const { result } = await runWithAgent({ behaviour: () => ({ kind: 'outdated' }) });
    expect(result.error).toBe('BuildAgentOutdated');
    expect(result.cause).toContain('agent protocol 2, agent/README.md');
    await expectNothingBilling();
  });

  it('a reboot during an expectReboot step is resumed: the step counts as done and the build goes on', async () => {
    const config = samplePipeline({
      build: {
        commands: [{ name: 'install', run: ['setup.exe', '/quiet'], expectReboot: true }],
        applications: [{ name: 'notepad', path: 'C:\\Windows\\notepad.exe' }],
      },
    });
    // Down for 10 minutes: far past the 180 s lease, inside the announced reboot window.
    const { result, channel } = await runWithAgent(
      { behaviour: () => ({ kind: 'reboots', duringStep: 'command-1-install', downSeconds: 600 }) },
      config,
    );
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    const doc = JobResultSchema.parse(
      JSON.parse([...channel.documents.entries()].find(([k]) => k.includes('/results/'))![1]),
    );
    expect(doc.steps[0]).toMatchObject({ id: 'command-1-install', exitCode: 0, resumedAfterReboot: true });
    expect(doc.steps.map((s) => s.id)).toContain('create-image');
  });

  it('a reboot during a step that did not expect one fails that step (BuildCommandFailed), and the builder is stopped', async () => {
    const { result } = await runWithAgent({
      behaviour: () => ({ kind: 'reboots', duringStep: 'command-1-install', downSeconds: 60 }),
    });
    expect(result.error).toBe('BuildCommandFailed');
    expect(result.cause).toContain('the builder rebooted during step command-1-install');
    await expectNothingBilling();
  });

  describe('secrets', () => {
    const SECRET = 'Lic-9f3b-S3cr3t-Value';
    const config = (run: string[]) =>
      samplePipeline({
        build: {
          commands: [{ name: 'install', run }],
          applications: [{ name: 'notepad', path: 'C:\\Windows\\notepad.exe' }],
          secrets: { LICENSE_KEY: 'ssm:/apps/office/license' },
        },
      });
    const builderSecrets = (source: string, ref: string) =>
      source === 'ssm' && ref === '/apps/office/license' ? SECRET : undefined;

    it('are resolved on the builder only: never in the job, execution history or notifications', async () => {
      const seen: string[][] = [];
      const { result, events, notifier, channel } = await runWithAgent(
        { secrets: builderSecrets },
        config(['setup.exe', '/key={{secret:LICENSE_KEY}}']),
        (_b, argv) => {
          seen.push(argv);
          return { exitCode: 0, stdout: `installing with ${argv[1]}`, stderr: '' };
        },
      );
      expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
      expect(seen).toEqual([['setup.exe', `/key=${SECRET}`]]);
      const history = JSON.stringify({ events, output: result.output });
      expect(history).toContain('{{secret:LICENSE_KEY}}');
      expect(history).not.toContain(SECRET);
      expect(JSON.stringify(notifier.sent)).not.toContain(SECRET);
      const job = [...channel.documents.entries()].find(([k]) => k.includes('/jobs/'))![1];
      expect(Buffer.from(JSON.parse(job).payload, 'base64').toString()).not.toContain(SECRET);
      const resultDoc = [...channel.documents.entries()].find(([k]) => k.includes('/results/'))![1];
      expect(resultDoc).toContain('installing with /key=***');
      expect(resultDoc).not.toContain(SECRET);
    });

    it('a command’s env: secrets resolved on the builder into the environment, recorded redacted, never in the job', async () => {
      const seen: (Record<string, string> | undefined)[] = [];
      const withEnv = samplePipeline({
        build: {
          commands: [
            {
              name: 'install',
              run: ['setup.exe'],
              env: { LICENSE_KEY: '{{secret:LICENSE_KEY}}', MODE: 'q' },
            },
          ],
          applications: [{ name: 'notepad', path: 'C:\\Windows\\notepad.exe' }],
          secrets: { LICENSE_KEY: 'ssm:/apps/office/license' },
        },
      });
      const { result, channel } = await runWithAgent({ secrets: builderSecrets }, withEnv, (b, argv, env) => {
        seen.push(env);
        return recordCommand(b, argv, env);
      });
      expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
      expect(seen).toEqual([{ LICENSE_KEY: SECRET, MODE: 'q' }]);
      const job = [...channel.documents.entries()].find(([k]) => k.includes('/jobs/'))![1];
      const payload = Buffer.from(JSON.parse(job).payload, 'base64').toString();
      expect(payload).toContain('{{secret:LICENSE_KEY}}');
      expect(payload).not.toContain(SECRET);
      const resultDoc = [...channel.documents.entries()].find(([k]) => k.includes('/results/'))![1];
      expect(resultDoc).toContain('env {\\"LICENSE_KEY\\":\\"***\\",\\"MODE\\":\\"q\\"}');
      expect(resultDoc).not.toContain(SECRET);
    });

    it('a failing command that prints the secret fails with the value redacted in the error and notification', async () => {
      const { result, events, notifier } = await runWithAgent(
        { secrets: builderSecrets },
        config(['setup.exe', '{{secret:LICENSE_KEY}}']),
        (_b, argv) => ({ exitCode: 1603, stdout: '', stderr: `invalid licence ${argv[1]}` }),
      );
      expect(result.error).toBe('BuildCommandFailed');
      expect(result.cause).toContain('invalid licence ***');
      expect(JSON.stringify({ events, notifications: notifier.sent, cause: result.cause })).not.toContain(
        SECRET,
      );
      await expectNothingBilling();
    });
  });
});
