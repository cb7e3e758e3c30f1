import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startScheduler } from '../../local/up/scheduler';
import { readServerless } from '../../local/up/schedules';

const dir = mkdtempSync(join(tmpdir(), 'local-schedules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const at = (iso: string) => Date.parse(iso);

describe('local up: the schedules serverless.yml declares', () => {
  it('reads each state machine schedule with its params resolved, as osls would package it', () => {
    const s = readServerless('serverless.yml');
    expect(s.schedules.map((x) => [x.id, x.workflow, x.expression, x.timezone, x.input])).toEqual(
      expect.arrayContaining([
        ['fleetSchedule-1', 'schedule', 'cron(0/5 * * * ? *)', 'UTC', { dryRun: false }],
        ['builderCleanup-1', 'cleanup', 'cron(0/15 * * * ? *)', 'UTC', { dryRun: false }],
      ]),
    );
    // --param overrides params.default, like `osls package --param`.
    const ten = readServerless('serverless.yml', { params: { scheduleCadenceMinutes: '10' } });
    expect(ten.schedules.find((x) => x.id === 'fleetSchedule-1')?.expression).toBe('cron(0/10 * * * ? *)');
  });

  it('takes the string form, lists of rates, time zones, disabled events and file() inputs', () => {
    writeFileSync(join(dir, 'pipeline.yaml'), 'name: nightly\n');
    const file = join(dir, 'serverless.yml');
    writeFileSync(
      file,
      `service: svc
params:
  default:
    hour: '3'
stepFunctions:
  stateMachines:
    imagePipeline:
      definition: \${file(statemachines/image-pipeline.asl.json)}
      events:
        - schedule: rate(1 hour)
        - schedule:
            method: scheduler
            rate: ['cron(0 \${param:hour} ? * SUN *)', 'cron(30 12 L * ? *)']
            timezone: Europe/Berlin
            input:
              config: \${file(pipeline.yaml)}
              tag: \${self:service}-\${sls:stage}
        - schedule:
            rate: rate(5 minutes)
            enabled: false
    somethingElse:
      definition: \${file(statemachines/other.asl.json)}
      events:
        - schedule: rate(1 minute)
`,
    );
    const s = readServerless(file);
    expect(s.schedules.map((x) => [x.id, x.workflow, x.expression, x.timezone, x.input])).toEqual([
      ['imagePipeline-1', 'pipeline', 'rate(1 hour)', 'UTC', {}],
      [
        'imagePipeline-2',
        'pipeline',
        'cron(0 3 ? * SUN *)',
        'Europe/Berlin',
        { config: { name: 'nightly' }, tag: 'svc-local' },
      ],
      [
        'imagePipeline-3',
        'pipeline',
        'cron(30 12 L * ? *)',
        'Europe/Berlin',
        { config: { name: 'nightly' }, tag: 'svc-local' },
      ],
    ]);
  });

  it('names the field of an expression EventBridge Scheduler would refuse, or a param nobody declared', () => {
    const bad = join(dir, 'bad.yml');
    writeFileSync(
      bad,
      `stepFunctions:\n  stateMachines:\n    builderCleanup:\n      definition: \${file(statemachines/builder-cleanup.asl.json)}\n      events:\n        - schedule: cron(0/15 * * * * *)\n`,
    );
    expect(() => readServerless(bad)).toThrow(
      /stateMachines\.builderCleanup: schedule cron\(0\/15 \* \* \* \* \*\): one of day-of-month and day-of-week must be \?/,
    );
    const unknown = join(dir, 'unknown.yml');
    writeFileSync(
      unknown,
      `stepFunctions:\n  stateMachines:\n    fleetSchedule:\n      definition: \${file(statemachines/fleet-schedule.asl.json)}\n      events:\n        - schedule: rate(\${param:nope} minutes)\n`,
    );
    expect(() => readServerless(unknown)).toThrow(/\$\{param:nope\} is not declared in params.default/);
  });
});

describe('local up: the scheduler on the virtual clock', () => {
  const schedule = readServerless('serverless.yml').schedules.find((s) => s.id === 'fleetSchedule-1')!; // cron(0/5 * * * ? *)

  it('starts each slot once, named after its due time, and folds the slots a clock jump passed over', async () => {
    let now = at('2026-11-26T09:03:00Z');
    const started: [string, string, unknown][] = [];
    const fired: number[] = [];
    const scheduler = startScheduler({
      schedules: [schedule],
      now: () => now,
      start: async (workflow, name, input) => void started.push([workflow, name, input]),
      onFired: (f) => fired.push(f.skipped),
      tickMs: 60_000,
    });
    try {
      expect(scheduler.next()).toEqual({ 'fleetSchedule-1': at('2026-11-26T09:05:00Z') });
      expect(await scheduler.tick()).toEqual([]);
      now = at('2026-11-26T09:05:00Z');
      await scheduler.tick();
      await scheduler.tick();
      // A pipeline's Wait jumped the clock by an hour: the 12 slots due start once, as the newest.
      now = at('2026-11-26T10:05:30Z');
      await scheduler.tick();
      expect(started).toEqual([
        ['schedule', 'fleetSchedule-1-20261126T0905Z', { dryRun: false }],
        ['schedule', 'fleetSchedule-1-20261126T1005Z', { dryRun: false }],
      ]);
      expect(fired).toEqual([0, 11]);
      expect(scheduler.next()).toEqual({ 'fleetSchedule-1': at('2026-11-26T10:10:00Z') });
    } finally {
      scheduler.stop();
    }
  });
});
