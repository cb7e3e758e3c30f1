import { execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { FileChannel } from '../../lib/agent/file-channel';
import { JobResultSchema } from '../../lib/agent/job';
import { LocalJobSigner } from '../../lib/agent/signer';
import { useEmulator } from '../helpers/emulator';
import { BILLING_STATES, builders, runPipeline, samplePipeline } from '../helpers/pipeline';

const f = useEmulator({ jitterSigma: 0 });
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'agent-protocol-bash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

// AppStreamImageAssistant for the test: forwards its argv to the emulator's Image Assistant.
const IMAGE_ASSISTANT = `#!/usr/bin/env node
const res = await fetch(process.env.EMULATOR + '/_emulator/image-assistant', {
  method: 'POST',
  body: JSON.stringify({ builderName: process.env.AUTOPILOT_BUILDER, argv: process.argv.slice(2) }),
});
const body = await res.json();
if (!res.ok) { console.error(JSON.stringify(body)); process.exit(255); }
console.log(JSON.stringify(body.output));
process.exit(body.exitCode);
`;

/**
 * The real Linux agent (agent/linux/autopilot-agent.sh) on a `file://` channel: one agent pass
 * each time the pipeline looks for the result. `bakedKey` is the PEM baked beside the agent.
 */
function bashAgent(
  opts: { bakedKey?: string; beforeAgent?: (channel: FileChannel, builder: string) => void } = {},
) {
  const root = join(dir, `run-${++n}`);
  const bin = join(root, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'AppStreamImageAssistant'), IMAGE_ASSISTANT);
  chmodSync(join(bin, 'AppStreamImageAssistant'), 0o755);
  const store = join(root, 'store');
  const env = (builderName: string) => ({
    PATH: `${bin}:${process.env.PATH}`,
    AppStream_Resource_Type: 'image-builder',
    AUTOPILOT_BUILDER: builderName,
    AUTOPILOT_SOURCE: `file://${store}/autopilot-agent`,
    AUTOPILOT_PUBLIC_KEY: join(root, 'job-signing.pem'),
    AUTOPILOT_STATE_DIR: join(root, 'state'),
    AUTOPILOT_APPSTREAM_VARS: join(root, 'no-such-vars.sh'),
    AUTOPILOT_ENV_WAIT_SECONDS: '0',
    AUTOPILOT_REBOOT_SETTLE_SECONDS: '0',
    AUTOPILOT_IMAGE_ASSISTANT: 'AppStreamImageAssistant',
    EMULATOR: f.emu.endpoint,
  });
  const channel: FileChannel = new FileChannel(store, 'autopilot-agent', async (builderName) => {
    opts.beforeAgent?.(channel, builderName);
    await run('bash', ['agent/linux/autopilot-agent.sh', '--once'], { env: env(builderName) });
  });
  writeFileSync(join(root, 'job-signing.pem'), opts.bakedKey ?? channel.publicKeyPem);
  return { channel, root, store, env };
}

async function expectNothingBilling() {
  f.emu.control.advance(3_600_000);
  for (const b of await builders(f)) expect(BILLING_STATES, b.name).not.toContain(b.state);
}

const linux = (overrides = {}) =>
  samplePipeline({
    builder: { instanceType: 'stream.standard.medium', image: 'latest:AMAZON_LINUX2' },
    build: { commands: [{ name: 'install', run: ['true'] }], applications: [{ name: 'a', path: '/opt/a' }] },
    ...overrides,
  });

describe('Agent protocol 2 with the real Linux agent', () => {
  it('a job a builder role wrote into jobs/ (unsigned) is refused by the agent: BuildAgentRefused, builder stopped', async () => {
    const marker = join(dir, 'pwned');
    const { channel } = bashAgent({
      // What a builder's role could do without the bucket policy: replace the job with its own.
      beforeAgent: (ch, builder) => {
        const jobId = readJobId(ch, builder);
        if (!jobId) return;
        writeFileSync(
          ch.path(builder, jobId, 'job'),
          JSON.stringify({
            schemaVersion: 2,
            jobId,
            builderName: builder,
            steps: [{ id: 'x', kind: 'command', argv: ['touch', marker] }],
          }),
        );
      },
    });
    const { result } = await runPipeline(f, linux(), { channel });
    expect(result.error).toBe('BuildAgentRefused');
    expect(result.cause).toMatch(/refused build job .*unsigned/);
    expect(existsSync(marker)).toBe(false);
    await expectNothingBilling();
  });

  it('a builder whose baked key is not the deployment’s refuses the job (bad signature): BuildAgentRefused', async () => {
    const { channel } = bashAgent({ bakedKey: new LocalJobSigner().publicKeyPem });
    const { result } = await runPipeline(f, linux(), { channel });
    expect(result.error).toBe('BuildAgentRefused');
    expect(result.cause).toMatch(/bad-signature/);
    await expectNothingBilling();
  });

  it('a reboot in the middle of an expectReboot step: the agent comes back, resumes, and the image is built', async () => {
    const root = join(dir, `reboot-${++n}`);
    mkdirSync(root, { recursive: true });
    const started = join(root, 'installer-started');
    let agentRuns = 0;
    const agent = bashAgent();
    // Each pass: start the agent; when the installer step has started, "reboot" (kill the
    // agent and everything under it), then boot the agent again, as the service would.
    const channel = new FileChannel(
      agent.store,
      'autopilot-agent',
      async (builderName) => {
        const boot = () =>
          new Promise<number | null>((resolve) => {
            agentRuns++;
            const child = spawn('bash', ['agent/linux/autopilot-agent.sh', '--once'], {
              env: agent.env(builderName),
              detached: true,
              stdio: 'ignore',
            });
            const watch = setInterval(() => {
              if (existsSync(started) && !existsSync(`${started}.rebooted`)) {
                writeFileSync(`${started}.rebooted`, '');
                process.kill(-child.pid!, 'SIGKILL');
              }
            }, 20);
            child.on('exit', (code) => {
              clearInterval(watch);
              resolve(code);
            });
          });
        if ((await boot()) === null) await boot();
      },
      agent.channel.signer,
    );
    const config = linux({
      build: {
        commands: [
          { name: 'install', run: ['sh', '-c', 'touch "$1"; sleep 30', 'sh', started], expectReboot: true },
        ],
        applications: [{ name: 'a', path: '/opt/a' }],
      },
    });
    const { result, summary } = await runPipeline(f, config, { channel });
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(summary.image).toMatchObject({ state: 'AVAILABLE' });
    expect(agentRuns).toBeGreaterThanOrEqual(2);
    const builder = summary.builder.name!;
    const jobId = `build-${(result.output as { plan: { execution: string } }).plan.execution}`;
    const doc = JobResultSchema.parse(
      JSON.parse(readFileSync(channel.path(builder, jobId, 'result'), 'utf8')),
    );
    expect(doc.steps[0]).toMatchObject({ id: 'command-1-install', exitCode: 0, resumedAfterReboot: true });
  });
});

/** The job id the pipeline wrote for this builder (one job per run). */
function readJobId(ch: FileChannel, builder: string): string | undefined {
  const jobs = join(ch.path(builder, 'x', 'job'), '..');
  if (!existsSync(jobs)) return undefined;
  return readdirSync(jobs)
    .find((f) => f.endsWith('.json'))
    ?.replace(/\.json$/, '');
}
