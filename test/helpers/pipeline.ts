import { DescribeImageBuildersCommand } from '@aws-sdk/client-appstream';
import type { PipelineInput } from '../../lib/config/pipeline';
import { MemoryNotifier } from '../../lib/notify/sns';
import { type LocalPipelineOptions, runPipelineLocally } from '../../local/pipeline';
import type { EmulatorFixture } from './emulator';

/** A small valid pipeline; tests override what they exercise. */
export function samplePipeline(overrides: Partial<PipelineInput> = {}): PipelineInput {
  return {
    name: 'e2e',
    region: 'us-east-1',
    builder: {
      instanceType: 'stream.standard.medium',
      image: 'latest:WINDOWS_SERVER_2022',
      tags: { team: 'euc' },
    },
    build: {
      commands: [
        { name: 'install', run: ['powershell.exe', '-File', 'C:\\install.ps1', '-Version', '1.2 beta'] },
      ],
      applications: [{ name: 'notepad', path: 'C:\\Windows\\notepad.exe', displayName: 'Notepad' }],
    },
    image: { name: '{pipeline}-{date}-{execution}', tags: { release: 'r1' } },
    after: { notify: { topicArn: 'arn:aws:sns:us-east-1:123456789012:pipeline-events' } },
    ...overrides,
  };
}

let runs = 0;

/** Runs the image pipeline state machine locally against the fixture's emulator. */
export async function runPipeline(
  f: EmulatorFixture,
  config: unknown,
  opts: Partial<LocalPipelineOptions> = {},
) {
  const notifier = new MemoryNotifier();
  const executionName = opts.executionName ?? `e2e-${++runs}`;
  const out = await runPipelineLocally({ config, emulator: f.emu, notifier, executionName, ...opts });
  return { ...out, notifier, executionName };
}

/** Every image builder in the account, with its state. */
export async function builders(f: EmulatorFixture, region = 'us-east-1') {
  const out = await f.client({ region }).send(new DescribeImageBuildersCommand({}));
  return (out.ImageBuilders ?? []).map((b) => ({ name: b.Name!, state: b.State! }));
}

/** States in which a builder costs money (the pipeline's own list). */
export { BILLING_STATES } from '../../lib/pipeline/housekeeping';
