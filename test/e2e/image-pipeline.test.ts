import {
  CreateImageBuilderCommand,
  DescribeFleetsCommand,
  DescribeImagePermissionsCommand,
  DescribeImagesCommand,
  StartFleetCommand,
  StopImageBuilderCommand,
} from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import { TAG } from '../../lib/tags';
import { createFleet, privateImage, runningBuilder } from '../helpers/builders';
import { MIN, useEmulator } from '../helpers/emulator';
import { BILLING_STATES, builders, runPipeline, samplePipeline } from '../helpers/pipeline';

const f = useEmulator({ jitterSigma: 0 });

/** An hour later (past any stop in progress), no builder is in a state that bills. */
async function expectNoBuilderBilling() {
  f.emu.control.advance(60 * MIN);
  for (const b of await builders(f)) expect(BILLING_STATES, `${b.name} is ${b.state}`).not.toContain(b.state);
}

describe('Image pipeline (local runtime against the emulator): happy path', () => {
  it('builds the image: AVAILABLE, tagged, builder STOPPED, success notified, within 40 transitions', async () => {
    const { result, summary, notifier } = await runPipeline(f, samplePipeline());
    expect(result.status).toBe('SUCCEEDED');
    expect(summary.image).toMatchObject({ state: 'AVAILABLE', arn: expect.stringMatching(/:image\/e2e-/) });
    expect(summary.image!.tags).toMatchObject({
      release: 'r1',
      [TAG.managed]: 'true',
      [TAG.pipeline]: 'e2e',
    });
    expect(summary.builder.state).toBe('STOPPED');
    expect(result.transitions).toBeLessThanOrEqual(40);
    expect(notifier.sent).toEqual([
      expect.objectContaining({
        topicArn: 'arn:aws:sns:us-east-1:123456789012:pipeline-events',
        message: expect.objectContaining({ outcome: 'SUCCEEDED', image: summary.image!.name }),
      }),
    ]);
    const [image] = (await f.client().send(new DescribeImagesCommand({ Names: [summary.image!.name!] })))
      .Images!;
    expect(image.Applications!.map((a) => a.Name)).toEqual(['notepad']);
    // latest:WINDOWS_SERVER_2022 resolved to the newest supported public image.
    expect(image.BaseImageArn).toMatch(/image\/AppStream-WinServer2022-10-14-2025$/);
  });

  it('deletes the builder at the end when whenDone is delete', async () => {
    const config = samplePipeline();
    config.builder = { ...config.builder, whenDone: 'delete' };
    const { result } = await runPipeline(f, config);
    expect(result.status).toBe('SUCCEEDED');
    f.emu.control.advance(2 * MIN);
    expect(await builders(f)).toEqual([]);
  });

  it('copies to other regions and shares with accounts', async () => {
    const config = samplePipeline({
      after: {
        copyTo: ['eu-west-1'],
        shareWith: [{ account: '210987654321', allowFleet: true, allowImageBuilder: false }],
      },
    });
    const { result, summary } = await runPipeline(f, config);
    expect(result.status).toBe('SUCCEEDED');
    const eu = f.client({ region: 'eu-west-1' });
    const [copy] = (await eu.send(new DescribeImagesCommand({ Names: [summary.image!.name!] }))).Images!;
    expect(copy.State).toBe('AVAILABLE');
    const perms = await f.client().send(new DescribeImagePermissionsCommand({ Name: summary.image!.name! }));
    expect(perms.SharedImagePermissionsList![0]).toMatchObject({ sharedAccountId: '210987654321' });
  });
});

describe('Image pipeline: rollout and retention', () => {
  it('rolls out to RUNNING and STOPPED fleets, and retries a STARTING fleet until it can be updated', async () => {
    const client = f.client();
    await createFleet(client, 'running');
    await createFleet(client, 'stopped');
    await client.send(new StartFleetCommand({ Name: 'running' }));
    f.emu.control.advance(16 * MIN);
    const config = samplePipeline({
      after: { rollOut: [{ fleet: 'running' }, { fleet: 'stopped' }, { fleet: 'starting' }] },
    });
    await createFleet(client, 'starting');
    // Start the third fleet just before the rollout so it is STARTING (10 min) when it is reached.
    const { result, summary } = await runPipeline(f, config, {
      onProgress: (e) => {
        if (e.type === 'entered' && e.state === 'ShareImage')
          void client.send(new StartFleetCommand({ Name: 'starting' }));
      },
    });
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    const fleets = (await client.send(new DescribeFleetsCommand({}))).Fleets!;
    for (const fleet of fleets) expect(fleet.ImageName, fleet.Name).toBe(summary.image!.name);
  });

  it('keeps the newest N images of the pipeline and never deletes one a fleet uses', async () => {
    const client = f.client();
    f.emu.control.setQuotas({ images: 10, imageBuilders: 10 });
    const config = samplePipeline({ after: { keepLatest: 1 } });
    const first = await runPipeline(f, config);
    f.emu.control.advance(60 * MIN);
    const second = await runPipeline(f, config);
    await createFleet(client, 'uses-second', { ImageName: second.summary.image!.name });
    f.emu.control.advance(60 * MIN);
    const third = await runPipeline(f, config);
    expect([first, second, third].map((r) => r.result.status)).toEqual([
      'SUCCEEDED',
      'SUCCEEDED',
      'SUCCEEDED',
    ]);
    const names = (await client.send(new DescribeImagesCommand({ Type: 'PRIVATE' }))).Images!.map(
      (i) => i.Name,
    );
    expect(names).not.toContain(first.summary.image!.name);
    expect(names).toContain(second.summary.image!.name);
    expect(names).toContain(third.summary.image!.name);
    const retire = (third.result.output as { retire: { skipped: { image: string; reason: string }[] }[] })
      .retire;
    expect(retire[0].skipped).toEqual([{ image: second.summary.image!.name, reason: 'in use by a fleet' }]);
  });

  it('leaves images of other pipelines alone', async () => {
    await privateImage(f.emu, f.client(), 'hand-made');
    const { result } = await runPipeline(f, samplePipeline({ after: { keepLatest: 1 } }));
    expect(result.status).toBe('SUCCEEDED');
    const names = (await f.client().send(new DescribeImagesCommand({ Type: 'PRIVATE' }))).Images!.map(
      (i) => i.Name,
    );
    expect(names).toContain('hand-made');
  });
});

describe('Image pipeline: reusing an existing builder', () => {
  it('starts a STOPPED builder, builds on it, and never deletes it (even with whenDone: delete)', async () => {
    const client = f.client();
    await client.send(
      new CreateImageBuilderCommand({
        Name: 'golden',
        InstanceType: 'stream.standard.medium',
        ImageName: 'AppStream-WinServer2022-10-14-2025',
      }),
    );
    f.emu.control.advance(13 * MIN);
    await client.send(new StopImageBuilderCommand({ Name: 'golden' }));
    f.emu.control.advance(4 * MIN);
    const config = samplePipeline({ builder: { existing: 'golden', whenDone: 'delete' } });
    const { result, summary } = await runPipeline(f, config);
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(
      (result.output as { builder: { createdByRun: boolean; startedByRun: boolean } }).builder,
    ).toMatchObject({
      createdByRun: false,
      startedByRun: true,
    });
    expect(summary.image!.state).toBe('AVAILABLE');
    expect(await builders(f)).toEqual([{ name: 'golden', state: 'STOPPED' }]);
  });

  it('fails with BuilderFailed when the existing builder does not exist, launching nothing', async () => {
    const { result } = await runPipeline(f, samplePipeline({ builder: { existing: 'missing' } }));
    expect(result.error).toBe('BuilderFailed');
    expect(await builders(f)).toEqual([]);
  });
});

describe('Image pipeline: idempotency', () => {
  it('the same execution started twice uses one builder', async () => {
    const config = samplePipeline();
    const a = await runPipeline(f, config, { executionName: 'same-run' });
    f.emu.control.advance(5 * MIN);
    config.image = { name: '{pipeline}-{date}-{execution}-again' };
    const b = await runPipeline(f, config, { executionName: 'same-run' });
    expect([a.result.status, b.result.status], `${b.result.error}: ${b.result.cause}`).toEqual([
      'SUCCEEDED',
      'SUCCEEDED',
    ]);
    expect(await builders(f)).toEqual([{ name: a.summary.builder.name, state: 'STOPPED' }]);
  });

  it('a CreateImageBuilder whose response is lost (5xx after the fact) still gives one builder', async () => {
    f.emu.control.failCalls({
      count: 1,
      code: 'InternalFailure',
      status: 500,
      operation: 'CreateImageBuilder',
      after: true,
    });
    const { result } = await runPipeline(f, samplePipeline());
    expect(result.status).toBe('SUCCEEDED');
    expect((await builders(f)).length).toBe(1);
  });
});

describe('Image pipeline: bad input', () => {
  it('fails with ConfigError naming the field, and launches nothing', async () => {
    const config = samplePipeline();
    (config.builder as Record<string, unknown>).instanceType = 'm5.large';
    const { result, notifier } = await runPipeline(f, config);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ConfigError');
    expect(result.cause).toContain('builder.instanceType');
    expect(await builders(f)).toEqual([]);
    expect(notifier.sent[0].message).toMatchObject({ outcome: 'FAILED', error: 'ConfigError' });
  });

  it('fails with BaseImageNotFound for a deprecated base image, and launches nothing', async () => {
    const config = samplePipeline();
    config.builder = { ...config.builder, image: 'AppStream-WinServer2016-12-12-2023' };
    const { result } = await runPipeline(f, config);
    expect(result.error).toBe('BaseImageNotFound');
    expect(await builders(f)).toEqual([]);
  });
});

describe('Image pipeline: every failure leaves no builder running', () => {
  it('builder FAILED → BuilderFailed', async () => {
    f.emu.control.failTransition({ kind: 'imageBuilder', message: 'insufficient capacity' });
    const { result } = await runPipeline(f, samplePipeline());
    expect([result.status, result.error]).toEqual(['FAILED', 'BuilderFailed']);
    expect(result.cause).toContain('insufficient capacity');
    await expectNoBuilderBilling();
  });

  it('builder never RUNNING in time → BuilderStartTimeout, and cleanup waits to stop it', async () => {
    f.emu.control.setDurations({ builderLaunch: 90 * MIN });
    const config = samplePipeline({ timeouts: { builderStartMinutes: 30 } } as never);
    const { result } = await runPipeline(f, config);
    expect(result.error).toBe('BuilderStartTimeout');
    const [b] = await builders(f);
    expect(['STOPPED', 'STOPPING']).toContain(b.state);
    await expectNoBuilderBilling();
  });

  it('a build command fails → BuildCommandFailed with its output; builder stopped', async () => {
    const { result } = await runPipeline(f, samplePipeline(), {
      runCommand: () => ({ exitCode: 3, stdout: 'installing...', stderr: 'MSI error 1603' }),
    });
    expect(result.error).toBe('BuildCommandFailed');
    expect(result.cause).toContain('MSI error 1603');
    await expectNoBuilderBilling();
  });

  it('the Image Assistant refuses (image name taken after the pre-flight) → ImageAssistantError; builder stopped', async () => {
    // A name taken before the run is caught by the pre-flight (test/e2e/preflight.test.ts); here
    // another builder takes it right after Resolve checked it was free.
    await runningBuilder(f.emu, f.client(), 'other-b');
    const assistant = (argv: string[]) => f.emu.control.imageAssistant({ builderName: 'other-b', argv });
    assistant(['add-application', '--name', 'notepad', '--absolute-app-path', 'C:\\Windows\\notepad.exe']);
    const config = samplePipeline({ image: { name: 'taken-name' } });
    const { result } = await runPipeline(f, config, {
      onProgress: (e) => {
        if (e.type === 'exited' && e.state === 'Resolve') assistant(['create-image', '--name', 'taken-name']);
      },
    });
    expect(result.error).toBe('ImageAssistantError');
    expect(result.cause).toMatch(/create-image-dry-run exited 1: .*already exists/);
    await expectNoBuilderBilling();
  });

  it('image FAILED → ImageFailed; builder stopped', async () => {
    f.emu.control.failTransition({ kind: 'image', message: 'snapshot failed' });
    const { result } = await runPipeline(f, samplePipeline());
    expect(result.error).toBe('ImageFailed');
    await expectNoBuilderBilling();
  });

  it('image not AVAILABLE in time → ImageTimeout; cleanup waits for the snapshot to end', async () => {
    f.emu.control.setDurations({ imageCreate: 150 * MIN });
    const config = samplePipeline({ timeouts: { imageMinutes: 60 } } as never);
    const { result } = await runPipeline(f, config);
    expect(result.error).toBe('ImageTimeout');
    const [b] = await builders(f);
    expect(b.state).toBe('STOPPED');
  });

  it('copies not AVAILABLE in time → CopyTimeout', async () => {
    f.emu.control.setDurations({ imageCopy: 600 * MIN });
    const config = samplePipeline({
      after: { copyTo: ['eu-west-1'] },
      timeouts: { imageMinutes: 90 },
    } as never);
    const { result } = await runPipeline(f, config);
    expect(result.error).toBe('CopyTimeout');
    await expectNoBuilderBilling();
  });

  it('throttling on some calls is retried and the run succeeds', async () => {
    f.emu.control.setFaults({ throttleRate: 0.3 });
    const { result } = await runPipeline(f, samplePipeline());
    f.emu.control.setFaults({});
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(result.transitions).toBeGreaterThan(0);
  });

  it('persistent throttling while waiting for the image → AwsTransientError after retries; builder stopped', async () => {
    const { result } = await runPipeline(f, samplePipeline(), {
      onProgress: (e) => {
        if (e.type === 'entered' && e.state === 'WaitForImage')
          f.emu.control.setFaults({ throttleRate: 1, throttleOperations: ['DescribeImages'] });
      },
    });
    f.emu.control.setFaults({});
    expect(result.error).toBe('AwsTransientError');
    await expectNoBuilderBilling();
  });

  it('5xx on every look at the builder → AwsTransientError after retries; cleanup stops the builder once AWS answers', async () => {
    // 3 SDK attempts × 5 state machine attempts = 15 failed calls exhaust CheckBuilder; the
    // outage then ends and the cleanup branch can see and stop the builder.
    const { result, notifier } = await runPipeline(f, samplePipeline(), {
      onProgress: (e) => {
        if (e.type === 'entered' && e.state === 'WaitForBuilder')
          f.emu.control.failCalls({
            count: 15,
            code: 'ServiceUnavailable',
            status: 503,
            operation: 'DescribeImageBuilders',
          });
      },
    });
    expect(result.error).toBe('AwsTransientError');
    expect(result.cause).toContain('DescribeImageBuilders');
    expect(notifier.sent[0].message).toMatchObject({ outcome: 'FAILED', error: 'AwsTransientError' });
    await expectNoBuilderBilling();
  });
});

describe('Image pipeline: an AWS outage at each phase ends in AwsTransientError with no builder left running', () => {
  it.each([
    { phase: 'EnsureBuilder', at: 'Resolve', operation: 'CreateImageBuilder' },
    { phase: 'waiting for the image', at: 'WaitForImage', operation: 'DescribeImages' },
    { phase: 'roll-out', at: 'RollOut', operation: 'UpdateFleet' },
  ])('$phase: persistent 5xx on $operation', async ({ at, operation }) => {
    await createFleet(f.client(), 'target');
    const { result } = await runPipeline(f, samplePipeline({ after: { rollOut: [{ fleet: 'target' }] } }), {
      onProgress: (e) => {
        if (e.type === 'entered' && e.state === at)
          f.emu.control.failCalls({ count: 10_000, code: 'InternalFailure', status: 500, operation });
      },
    });
    f.emu.control.clearFaults();
    expect([result.status, result.error]).toEqual(['FAILED', 'AwsTransientError']);
    expect(result.cause).toContain(operation);
    await expectNoBuilderBilling();
  });
});
