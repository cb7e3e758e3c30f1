import { SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runOnAws } from '../../bin/schedule-aws';
import { parseScheduleFile } from '../../lib/schedule/config';
import type { FleetPlan } from '../../lib/schedule/plan';
import { buildReport } from '../../lib/schedule/report';
import { PlanEncoder } from '../../lib/schedule/wire';

const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:appstream-autopilot-prod-fleet-schedule';
const config = parseScheduleFile(
  'schedules:\n  s:\n    timezone: UTC\n    default: 1\nfleets:\n  - { name: f1, schedule: s }\n',
);
const f1: FleetPlan = {
  fleet: 'f1',
  region: 'eu-west-1',
  schedule: 's',
  fleetType: 'ALWAYS_ON',
  unit: 'DesiredInstances',
  state: 'RUNNING',
  before: 3,
  after: 1,
  wanted: 1,
  inUse: 0,
  action: 'resize',
  reason: 'default',
  notes: [],
};
/** The execution's output as the Report step writes it: compact (RunOutput). */
const encoder = new PlanEncoder();
const report = buildReport({
  at: '2026-12-01T09:00:00.000Z',
  dryRun: false,
  changes: [encoder.encode(f1)],
  unchanged: [['f2', 'eu-west-1', 1, 'default']],
  previewed: [],
  kinds: encoder.kinds,
  failed: [],
  results: ['applied'],
});

afterEach(() => vi.restoreAllMocks());

describe('autopilot schedule run --aws', () => {
  it('runs the Express state machine synchronously with the file as input and prints its report', async () => {
    const sfn = mockClient(SFNClient);
    sfn.on(StartSyncExecutionCommand).resolves({
      executionArn: `${ARN.replace(':stateMachine:', ':express:')}:x:y`,
      status: 'SUCCEEDED',
      output: JSON.stringify(report),
    } as never);
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((l: string) => void lines.push(l));
    const code = await runOnAws(config, ARN, undefined, false, new SFNClient({ region: 'eu-west-1' }));
    expect(code).toBe(0);
    const call = sfn.commandCalls(StartSyncExecutionCommand)[0].args[0].input;
    expect(call.stateMachineArn).toBe(ARN);
    expect(JSON.parse(call.input!)).toEqual({ config });
    expect(call.name).toMatch(/^schedule-\d{8}T\d{6}Z-[0-9a-f]{4}$/);
    expect(lines.join('\n')).toMatch(
      /f1 +eu-west-1 +ALWAYS_ON RUNNING +DesiredInstances +3 → 1 +resize +applied +default/,
    );
    // An unchanged fleet travels without its type, state and unit: those cells stay empty.
    expect(lines.join('\n')).toMatch(/f2 +eu-west-1 +1 → 1 +none +unchanged +default/);
    expect(lines.find((l) => l.includes('f2'))).not.toMatch(/ - /);
    sfn.restore();
  });

  it('exits 1 with the error when the execution fails', async () => {
    const sfn = mockClient(SFNClient);
    sfn.on(StartSyncExecutionCommand).resolves({
      executionArn: 'arn:x',
      status: 'FAILED',
      error: 'ConfigError',
      cause: 'no schedule file',
    } as never);
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((l: string) => void errors.push(l));
    expect(await runOnAws(config, ARN, undefined, false, new SFNClient({ region: 'eu-west-1' }))).toBe(1);
    expect(errors).toEqual(['arn:x: FAILED — ConfigError: no schedule file']);
    sfn.restore();
  });

  it('refuses to start without the state machine, naming it', async () => {
    await expect(runOnAws(config, undefined, undefined, false)).rejects.toMatchObject({
      name: 'UsageError',
      message: expect.stringContaining('--aws needs --state-machine-arn'),
    });
  });
});
