import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { FileChannel } from '../../lib/agent/file-channel';
import { useEmulator } from '../helpers/emulator';
import { BILLING_STATES, builders, runPipeline, samplePipeline } from '../helpers/pipeline';

const f = useEmulator({ jitterSigma: 0 });
// Asynchronous on purpose: the agent calls back into the emulator served by this process.
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'agent-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// AppStreamImageAssistant for the test: forwards its argv to the emulator's Image Assistant
// (the builder the agent runs on), prints the CLI's JSON and exits with its code.
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

/** The agent's settings for a file channel: its jobs' public key, its own state directory. */
function agentEnv(store: string, channel: FileChannel): NodeJS.ProcessEnv {
  const publicKey = join(store, 'job-signing.pem');
  if (!existsSync(publicKey)) {
    mkdirSync(store, { recursive: true });
    writeFileSync(publicKey, channel.publicKeyPem);
  }
  return {
    PATH: process.env.PATH,
    AppStream_Resource_Type: 'image-builder',
    AUTOPILOT_SOURCE: `file://${store}/autopilot-agent`,
    AUTOPILOT_PUBLIC_KEY: publicKey,
    AUTOPILOT_STATE_DIR: join(store, 'agent-state'),
    AUTOPILOT_CONF: join(store, 'no-conf'),
    AUTOPILOT_APPSTREAM_VARS: join(store, 'no-vars.sh'),
  };
}

describe('Image pipeline with the real Linux pull agent', () => {
  it('runs the job through the agent: commands really run, the Image Assistant builds the image', async () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'AppStreamImageAssistant'), IMAGE_ASSISTANT);
    chmodSync(join(bin, 'AppStreamImageAssistant'), 0o755);
    const store = join(dir, 'store');
    const marker = join(dir, 'installed.txt');
    // The agent is a real bash process reading real files; the harness runs it once each time the
    // pipeline looks for a result, so it keeps step with the virtual clock.
    const channel = new FileChannel(store, 'autopilot-agent', async (builderName) => {
      await run('bash', ['agent/linux/autopilot-agent.sh', '--once'], {
        env: {
          ...agentEnv(store, channel),
          PATH: `${bin}:${process.env.PATH}`,
          AUTOPILOT_BUILDER: builderName,
          AUTOPILOT_IMAGE_ASSISTANT: 'AppStreamImageAssistant',
          EMULATOR: f.emu.endpoint,
        },
      });
    });
    const config = samplePipeline({
      builder: { instanceType: 'stream.standard.medium', image: 'latest:AMAZON_LINUX2' },
      build: {
        commands: [
          {
            name: 'install',
            run: ['sh', '-c', 'printf "%s" "$1" > "$2"', 'sh', 'v1.2 "beta" $HOME', marker],
          },
        ],
        applications: [
          {
            name: 'firefox',
            path: '/usr/bin/firefox',
            displayName: 'Firefox',
            launchParameters: '--private-window',
          },
        ],
      },
    });
    const { result, summary } = await runPipeline(f, config, { channel });
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(readFileSync(marker, 'utf8')).toBe('v1.2 "beta" $HOME');
    expect(summary.image).toMatchObject({ state: 'AVAILABLE' });
    expect(summary.builder.state).toBe('STOPPED');
    const builderName = summary.builder.name!;
    const resultDoc = JSON.parse(
      readFileSync(
        join(
          store,
          'autopilot-agent',
          builderName,
          'results',
          `build-${(result.output as { plan: { execution: string } }).plan.execution}.json`,
        ),
        'utf8',
      ),
    );
    expect(resultDoc.steps.map((s: { id: string; exitCode: number }) => [s.id, s.exitCode])).toEqual([
      ['command-1-install', 0],
      ['remove-application-firefox', 1],
      ['add-application-firefox', 0],
      ['create-image-dry-run', 0],
      ['create-image', 0],
    ]);
    expect(existsSync(join(store, 'autopilot-agent', builderName, 'claims'))).toBe(true);
  });

  it('a failing command on the builder ends in BuildCommandFailed and the builder is stopped', async () => {
    const store = join(dir, 'store2');
    const channel = new FileChannel(store, 'autopilot-agent', async (builderName) => {
      await run('bash', ['agent/linux/autopilot-agent.sh', '--once'], {
        env: { ...agentEnv(store, channel), AUTOPILOT_BUILDER: builderName },
      });
    });
    const config = samplePipeline({
      build: {
        commands: [{ run: ['sh', '-c', 'echo "MSI error 1603" >&2; exit 3'] }],
        applications: [{ name: 'a', path: '/opt/a' }],
      },
    });
    const { result } = await runPipeline(f, config, { channel });
    expect(result.error).toBe('BuildCommandFailed');
    expect(result.cause).toContain('MSI error 1603');
    f.emu.control.advance(3_600_000);
    for (const b of await builders(f)) expect(BILLING_STATES).not.toContain(b.state);
  });
});
