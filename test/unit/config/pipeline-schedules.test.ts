import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cronIssue, timeZoneIssue } from '../../../lib/config/pipeline';
import { pipelineScheduleResources, scheduleLogicalId } from '../../../lib/config/pipeline-schedules';
import { samplePipeline } from '../../helpers/pipeline';

const work = mkdtempSync(join(tmpdir(), 'pipeline-schedules-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
/** A pipelines folder holding these definitions, one <name>.yaml each. */
function folder(...pipelines: Record<string, unknown>[]): string {
  const dir = join(work, `p${++n}`);
  mkdirSync(dir);
  for (const p of pipelines) writeFileSync(join(dir, `${p.name}.yaml`), stringify(p));
  return dir;
}

describe('Pipeline schedules: generated at package time from the pipelines that declare one', () => {
  it('gives each scheduled pipeline an EventBridge Scheduler schedule in its time zone starting it by name', () => {
    const dir = folder(
      samplePipeline({
        name: 'nightly',
        schedule: { cron: 'cron(30 2 * * ? *)', timezone: 'America/New_York' },
      }),
      samplePipeline({
        name: 'weekly-apps',
        schedule: { cron: 'cron(0 3 ? * SUN *)', timezone: 'Europe/Paris' },
      }),
      samplePipeline({ name: 'manual' }),
    );
    const { Resources } = pipelineScheduleResources(dir);
    expect(Object.keys(Resources ?? {}).sort()).toEqual([
      'PipelineScheduleNightly',
      'PipelineScheduleWeeklyApps',
      'PipelineSchedulesRole',
    ]);
    expect(Resources?.PipelineScheduleWeeklyApps).toEqual({
      Type: 'AWS::Scheduler::Schedule',
      Properties: expect.objectContaining({
        ScheduleExpression: 'cron(0 3 ? * SUN *)',
        ScheduleExpressionTimezone: 'Europe/Paris',
        State: 'ENABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: expect.objectContaining({
          Arn: { Ref: 'ImagePipelineStepFunctionsStateMachine' },
          RoleArn: { 'Fn::GetAtt': ['PipelineSchedulesRole', 'Arn'] },
          Input: '{"pipeline":"weekly-apps"}',
        }),
      }),
    });
  });

  it('runs them with a role that may only start the image pipeline, assumable by Scheduler of this account', () => {
    const dir = folder(
      samplePipeline({ name: 'nightly', schedule: { cron: 'cron(30 2 * * ? *)', timezone: 'UTC' } }),
    );
    // biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
    const role = pipelineScheduleResources(dir).Resources?.PipelineSchedulesRole as any;
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
    expect(
      role.Properties.Policies.flatMap(
        (p: { PolicyDocument: { Statement: unknown[] } }) => p.PolicyDocument.Statement,
      ),
    ).toEqual([
      {
        Effect: 'Allow',
        Action: 'states:StartExecution',
        Resource: { Ref: 'ImagePipelineStepFunctionsStateMachine' },
      },
    ]);
  });

  it('deploys `enabled: false` DISABLED, and nothing at all when no pipeline has a schedule', () => {
    const off = folder(
      samplePipeline({
        name: 'nightly',
        schedule: { cron: 'cron(30 2 * * ? *)', timezone: 'UTC', enabled: false },
      }),
    );
    expect(pipelineScheduleResources(off).Resources?.PipelineScheduleNightly).toMatchObject({
      Properties: { State: 'DISABLED' },
    });
    expect(pipelineScheduleResources(folder(samplePipeline({ name: 'manual' })))).toEqual({});
    expect(pipelineScheduleResources(join(work, 'missing'))).toEqual({});
  });

  it('fails the package on a broken pipeline, naming the file and the field', () => {
    const dir = folder(
      samplePipeline({
        name: 'nightly',
        schedule: { cron: 'cron(30 2 * * ? *)', timezone: 'Europe/Pariss' },
      }),
    );
    expect(() => pipelineScheduleResources(dir)).toThrow(
      expect.objectContaining({
        name: 'ConfigError',
        message: expect.stringMatching(
          /nightly\.yaml: schedule\.timezone: 'Europe\/Pariss' is not an IANA time zone/,
        ),
      }),
    );
  });

  it('fails the package on a file whose name: isn\'t its file name (what {"pipeline": …} types)', () => {
    const dir = folder(samplePipeline({ name: 'nightly' }));
    writeFileSync(join(dir, 'weekly.yaml'), stringify(samplePipeline({ name: 'nightly' })));
    expect(() => pipelineScheduleResources(dir)).toThrow(/weekly\.yaml: name: must be weekly/);
  });

  it('refuses two pipelines whose names map to one logical id', () => {
    expect(scheduleLogicalId('office-apps')).toBe('PipelineScheduleOfficeApps');
    const dir = folder(
      samplePipeline({ name: 'office-apps', schedule: { cron: 'cron(0 3 * * ? *)', timezone: 'UTC' } }),
      samplePipeline({ name: 'officeApps', schedule: { cron: 'cron(0 4 * * ? *)', timezone: 'UTC' } }),
    );
    expect(() => pipelineScheduleResources(dir)).toThrow(/map to one schedule id PipelineScheduleOfficeApps/);
  });

  it('is what serverless.yml loads: deploy/pipeline-schedules.cjs with the pipelinesDir param', async () => {
    const dir = folder(
      samplePipeline({ name: 'nightly', schedule: { cron: 'cron(30 2 * * ? *)', timezone: 'UTC' } }),
    );
    const resolver = createRequire(import.meta.url)('../../../deploy/pipeline-schedules.cjs');
    const params: string[] = [];
    const fragment = await resolver({
      resolveVariable: async (v: string) => {
        params.push(v);
        return dir;
      },
    });
    expect(params).toEqual(['param:pipelinesDir']);
    expect(fragment).toEqual(pipelineScheduleResources(dir));
  });
});

describe('Pipeline schedule fields: EventBridge Scheduler cron and IANA time zones', () => {
  it.each([
    ['cron(0 3 ? * SUN *)', undefined],
    ['cron(0/15 8-18 ? * MON-FRI *)', undefined],
    ['cron(0 3 1 * ? *)', undefined],
    ['rate(1 day)', 'must be cron('],
    ['cron(0 3 * * *)', 'has 6 fields'],
    ['cron(0 3 * * * *)', 'must be ?, not both'],
    ['cron(0 3 ? * ? *)', 'must be ?, not both'],
    ['cron(0 3 ? * SUN; *)', 'cron fields'],
  ])('%s', (cron, issue) => {
    if (issue) expect(cronIssue(cron)).toContain(issue);
    else expect(cronIssue(cron)).toBeUndefined();
  });

  it('takes time zones as the tz database spells them', () => {
    expect(timeZoneIssue('Europe/Paris')).toBeUndefined();
    expect(timeZoneIssue('UTC')).toBeUndefined();
    expect(timeZoneIssue('Mars/Olympus_Mons')).toMatch(/not an IANA time zone/);
    expect(timeZoneIssue('europe/paris')).toBe('write the time zone as Europe/Paris');
  });
});
