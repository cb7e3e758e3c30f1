import { DescribeImageBuildersCommand } from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import { PipelineConfigSchema } from '../../../lib/config/pipeline';
import { buildJob, checkBuild, failureOf } from '../../../lib/pipeline/build';
import type { Plan } from '../../../lib/pipeline/types';
import { TAG } from '../../../lib/tags';
import { mockDeps } from '../../helpers/mock-deps';
import { samplePipeline } from '../../helpers/pipeline';

const plan = {
  builderName: 'b',
  execution: 'x1',
  imageName: 'img-1',
  imageTags: { [TAG.pipeline]: 'e2e', 'a b': 'c d' },
} as unknown as Plan;

describe('buildJob', () => {
  it('orders commands, app registration, a dry run and create-image, all as argument arrays', () => {
    const config = PipelineConfigSchema.parse(
      samplePipeline({
        image: { name: 'x', displayName: 'Office apps', description: 'desc', useLatestAgentVersion: true },
        build: {
          commands: [{ name: 'install', run: ['msiexec.exe', '/i', 'C:\\a b\\x.msi', '/qn'] }],
          applications: [
            { name: 'calc', path: 'C:\\Windows\\System32\\calc.exe', launchParameters: '"C:\\my file.txt"' },
          ],
        },
      }),
    );
    const job = buildJob(config, plan, '2026-11-26T00:00:00Z');
    expect(job.steps.map((s) => s.id)).toEqual([
      'command-1-install',
      'remove-application-calc',
      'add-application-calc',
      'create-image-dry-run',
      'create-image',
    ]);
    expect(job.steps[0].argv).toEqual(['msiexec.exe', '/i', 'C:\\a b\\x.msi', '/qn']);
    expect(job.steps[1].continueOnError).toBe(true);
    expect(job.steps[2].argv).toEqual([
      'add-application',
      '--name',
      'calc',
      '--absolute-app-path',
      'C:\\Windows\\System32\\calc.exe',
      '--launch-parameters',
      '"C:\\my file.txt"',
    ]);
    expect(job.steps[4].argv).toEqual([
      'create-image',
      '--name',
      'img-1',
      '--display-name',
      'Office apps',
      '--description',
      'desc',
      '--use-latest-agent-version',
      '--tags',
      TAG.pipeline,
      'e2e',
      'a b',
      'c d',
    ]);
    expect(job.steps[3].argv).toEqual([...job.steps[4].argv, '--dry-run']);
  });
});

describe('failureOf', () => {
  const result = (steps: { id: string; exitCode: number; stdout?: string; stderr?: string }[]) => ({
    schemaVersion: 2 as const,
    jobId: 'j',
    builderName: 'b',
    agentVersion: '2.0.0',
    status: 'failed' as const,
    finishedAt: 'now',
    steps: steps.map((s) => ({ stdout: '', stderr: '', ...s })),
  });

  it('names an Image Assistant failure with its JSON message', () => {
    const e = failureOf(
      result([
        { id: 'remove-application-a', exitCode: 1 },
        { id: 'add-application-a', exitCode: 0 },
        {
          id: 'create-image-dry-run',
          exitCode: 1,
          stdout: '{"status":1,"message":"Image name already exists"}',
        },
      ]),
    );
    expect(e).toMatchObject({
      name: 'ImageAssistantError',
      message: 'create-image-dry-run exited 1: Image name already exists',
    });
  });

  it('names a command failure with the tail of its output', () => {
    const e = failureOf(
      result([{ id: 'command-1', exitCode: 1603, stdout: 'x'.repeat(2000), stderr: 'fatal error' }]),
    );
    expect(e.name).toBe('BuildCommandFailed');
    expect(e.message).toMatch(/^command-1 exited 1603: x+\nfatal error$/);
    expect(e.message.length).toBeLessThan(600);
  });
});

describe('checkBuild', () => {
  const builder = { name: 'b', region: 'us-east-1', createdByRun: true, startedByRun: false, deadline: 0 };
  const wait = { firstSeconds: 0, loopWaitSeconds: 0, pollSeconds: 15, windowSeconds: 60 };

  it('treats a SNAPSHOTTING builder as a finished build when the result document never came', async () => {
    const { deps, appstream } = mockDeps();
    appstream
      .on(DescribeImageBuildersCommand)
      .resolvesOnce({ ImageBuilders: [{ Name: 'b', State: 'RUNNING' }] })
      .resolves({ ImageBuilders: [{ Name: 'b', State: 'SNAPSHOTTING' }] });
    const out = await checkBuild(
      { builder, jobId: 'j', deadline: deps.clock.now() + 3_600_000, wait, imageMinutes: 60 },
      deps,
    );
    expect(out).toMatchObject({ done: true, via: 'builder-state' });
  });

  it('fails fast with BuilderFailed when the builder stops during the build', async () => {
    const { deps, appstream } = mockDeps();
    appstream
      .on(DescribeImageBuildersCommand)
      .resolves({ ImageBuilders: [{ Name: 'b', State: 'STOPPING' }] });
    await expect(
      checkBuild(
        { builder, jobId: 'j', deadline: deps.clock.now() + 3_600_000, wait, imageMinutes: 60 },
        deps,
      ),
    ).rejects.toMatchObject({ name: 'BuilderFailed', message: expect.stringContaining('went STOPPING') });
  });

  it('fails with BuildTimeout past the deadline while the builder is still RUNNING without a result', async () => {
    const { deps, appstream } = mockDeps();
    appstream.on(DescribeImageBuildersCommand).resolves({ ImageBuilders: [{ Name: 'b', State: 'RUNNING' }] });
    await expect(
      checkBuild({ builder, jobId: 'j', deadline: deps.clock.now() + 20_000, wait, imageMinutes: 60 }, deps),
    ).rejects.toMatchObject({ name: 'BuildTimeout' });
  });
});
