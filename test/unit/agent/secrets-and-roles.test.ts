import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileChannel } from '../../../lib/agent/file-channel';
import { PipelineConfigSchema } from '../../../lib/config/pipeline';
import { buildJob } from '../../../lib/pipeline/build';
import { checkBuilderRole, resolvePipeline } from '../../../lib/pipeline/resolve';
import type { Plan } from '../../../lib/pipeline/types';
import { mockDeps } from '../../helpers/mock-deps';
import { samplePipeline } from '../../helpers/pipeline';

const plan = { builderName: 'b', execution: 'x1', imageName: 'img-1', imageTags: {} } as unknown as Plan;
const ROLE = 'arn:aws:iam::111122223333:role/appstream-builder';

const withSecrets = (secrets: Record<string, string>, run: string[]) =>
  samplePipeline({
    build: {
      commands: [{ name: 'install', run }],
      applications: [{ name: 'notepad', path: 'C:\\Windows\\notepad.exe' }],
      secrets,
    },
  });

describe('Build secrets by reference', () => {
  it('puts references in the job (never values): ssm and secretsmanager, placeholders left for the agent', () => {
    const config = PipelineConfigSchema.parse(
      withSecrets(
        {
          LICENSE_KEY: 'ssm:/apps/office/license',
          SVC_PASSWORD: 'secretsmanager:arn:aws:secretsmanager:us-east-1:111122223333:secret:svc-AbCdEf',
        },
        ['setup.exe', '/key={{secret:LICENSE_KEY}}', '/pw', '{{secret:SVC_PASSWORD}}'],
      ),
    );
    const job = buildJob(config, plan, '2026-11-26T09:00:00.000Z');
    expect(job.secrets).toEqual([
      { name: 'LICENSE_KEY', source: 'ssm', ref: '/apps/office/license' },
      {
        name: 'SVC_PASSWORD',
        source: 'secretsmanager',
        ref: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:svc-AbCdEf',
      },
    ]);
    expect(job.steps[0].argv).toEqual([
      'setup.exe',
      '/key={{secret:LICENSE_KEY}}',
      '/pw',
      '{{secret:SVC_PASSWORD}}',
    ]);
    expect(job).toMatchObject({
      expiresAt: '2026-11-26T12:00:00.000Z',
      heartbeatSeconds: 30,
      leaseSeconds: 180,
    });
  });

  it('a placeholder naming no declared secret is a ConfigError naming the argument', async () => {
    const { deps } = mockDeps();
    await expect(
      resolvePipeline(
        {
          config: withSecrets({ LICENSE_KEY: 'ssm:/x' }, ['setup.exe', '--key', '{{secret:LICENCE_KEY}}']),
          execution: 'e1',
        },
        deps,
      ),
    ).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining(
        'build.commands.0.run.2: {{secret:LICENCE_KEY}} names no secret in build.secrets',
      ),
    });
  });

  it('build.commands[].env goes into the job step as is: secret placeholders in values stay references', async () => {
    const config = PipelineConfigSchema.parse(
      samplePipeline({
        build: {
          commands: [
            {
              name: 'install',
              run: ['setup.exe', '/quiet'],
              env: { LICENSE_KEY: '{{secret:KEY}}', MODE: 'silent' },
            },
            { name: 'plain', run: ['x'] },
          ],
          applications: [{ name: 'notepad', path: 'C:\\Windows\\notepad.exe' }],
          secrets: { KEY: 'ssm:/apps/key' },
        },
      }),
    );
    const job = buildJob(config, plan, '2026-11-26T09:00:00.000Z');
    expect(job.steps[0].env).toEqual({ LICENSE_KEY: '{{secret:KEY}}', MODE: 'silent' });
    expect(job.steps[1]).not.toHaveProperty('env');
    expect(job.secrets).toEqual([{ name: 'KEY', source: 'ssm', ref: '/apps/key' }]);
    // The file channel (the real agents' local transport) carries it in the signed job unchanged.
    const dir = mkdtempSync(join(tmpdir(), 'env-job-'));
    try {
      const channel = new FileChannel(dir);
      await channel.submit('us-east-1', job);
      const envelope = JSON.parse(readFileSync(channel.path(job.builderName, job.jobId, 'job'), 'utf8'));
      const payload = JSON.parse(Buffer.from(envelope.payload, 'base64').toString());
      expect(payload.steps[0].env).toEqual({ LICENSE_KEY: '{{secret:KEY}}', MODE: 'silent' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unknown secret placeholder in build.commands[].env is a ConfigError naming the variable; bad names are refused', () => {
    const parsed = PipelineConfigSchema.safeParse(
      samplePipeline({
        build: {
          commands: [{ run: ['x'], env: { LICENSE_KEY: '{{secret:NOPE}}' } }],
          applications: [{ name: 'notepad', path: 'C:\\Windows\\notepad.exe' }],
          secrets: { KEY: 'ssm:/apps/key' },
        },
      }),
    );
    expect(parsed.error?.issues).toEqual([
      expect.objectContaining({
        path: ['build', 'commands', 0, 'env', 'LICENSE_KEY'],
        message: '{{secret:NOPE}} names no secret in build.secrets',
      }),
    ]);
    const badName = PipelineConfigSchema.safeParse(
      samplePipeline({
        build: {
          commands: [{ run: ['x'], env: { '1BAD=X': 'v' } }],
          applications: [{ name: 'notepad', path: 'C:\\Windows\\notepad.exe' }],
        },
      }),
    );
    expect(badName.success).toBe(false);
  });

  it('a secret reference that is neither ssm: nor secretsmanager: is refused, naming the field', () => {
    const parsed = PipelineConfigSchema.safeParse(withSecrets({ TOKEN: 'vault:/x' }, ['x']));
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({ path: ['build', 'secrets', 'TOKEN'] });
  });
});

describe('Builder roles a deployment declares', () => {
  const config = (iamRoleArn?: string) =>
    PipelineConfigSchema.parse(
      samplePipeline({
        builder: { instanceType: 'stream.standard.medium', image: 'latest:WINDOWS_SERVER_2022', iamRoleArn },
      }),
    );

  it('refuses a builder.iamRoleArn outside ALLOWED_BUILDER_ROLE_ARNS with a ConfigError naming the field', () => {
    expect(() =>
      checkBuilderRole(
        config('arn:aws:iam::111122223333:role/admin'),
        `${ROLE},arn:aws:iam::111122223333:role/other`,
      ),
    ).toThrow(
      expect.objectContaining({
        name: 'ConfigError',
        message: expect.stringMatching(/^builder\.iamRoleArn: .*role\/admin is not a builder role/),
      }),
    );
    expect(() =>
      checkBuilderRole(config(ROLE), `arn:aws:iam::111122223333:role/other, ${ROLE}`),
    ).not.toThrow();
  });

  it('a deployment that declares no role refuses every role; unset (local runs) allows any', () => {
    expect(() => checkBuilderRole(config(ROLE), '')).toThrow(
      expect.objectContaining({ message: expect.stringContaining('(none;') }),
    );
    expect(() => checkBuilderRole(config(ROLE), undefined)).not.toThrow();
    expect(() => checkBuilderRole(config(undefined), '')).not.toThrow();
  });
});
