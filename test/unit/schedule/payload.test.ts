import { DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { DescribeFleetsCommand } from '@aws-sdk/client-appstream';
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { beforeEach, describe, expect, it } from 'vitest';
import { evaluateSchedules } from '../../../lib/schedule/evaluate';
import { type ApplyOutcome, buildReport, expandReport } from '../../../lib/schedule/report';
import { TAG } from '../../../lib/tags';
import { mockScheduleDeps } from '../../helpers/schedule-mocks';

/**
 * Step Functions' limit on a state's input and output, and on the execution's output:
 * 256 KiB (States.DataLimitExceeded; "Quotas related to state machine executions").
 * The payloads measured here are the Evaluate function's real output for N managed fleets
 * (mocked AWS reads), the Map's output (Evaluate's plus one outcome per change, ResultPath
 * $.results), Report's input and Report's output (the execution's). With 20-character fleet
 * names, at 2,000 fleets: all changing, 98 KiB at the largest state (Report's output; ~50 bytes a
 * fleet); none changing, 110 KiB (~56 bytes a fleet, `[fleet, region, capacity, reason]`). The
 * limit is reached at about 5,000 fleets that all change and 4,650 that need nothing (the last
 * test computes both from the measured sizes); before the compact payloads it was ~600.
 */
const LIMIT = 256 * 1024;

// Monday 2026-11-30 10:00 UTC: 11:00 in Berlin, the workday period (capacity 8).
const { mocks, deps } = mockScheduleDeps(Date.parse('2026-11-30T10:00:00Z'));
const config = {
  schedules: {
    'office-hours': {
      timezone: 'Europe/Berlin',
      default: 2,
      periods: [{ name: 'workday', weekdays: 'mon-fri', begin: '07:30', end: '18:00', capacity: 8 }],
    },
  },
  fleets: [{ tag: TAG.schedule }],
};

/** 20-character names, e.g. `eu-finance-ws-000042`. */
const name = (i: number) => `eu-finance-ws-${String(i).padStart(6, '0')}`;
const arn = (n: string) => `arn:aws:appstream:us-east-1:123456789012:fleet/${n}`;

/** `n` ALWAYS_ON fleets at `desired`, all tagged with the schedule. */
function fleets(n: number, desired: number) {
  const names = Array.from({ length: n }, (_, i) => name(i));
  mocks.appstream.on(DescribeFleetsCommand).resolves({
    Fleets: names.map((Name) => ({
      Name,
      Arn: arn(Name),
      InstanceType: 'stream.standard.medium',
      FleetType: 'ALWAYS_ON',
      State: 'RUNNING',
      ComputeCapacityStatus: { Desired: desired, Running: desired, InUse: 0, Available: desired },
    })),
  });
  mocks.tagging.on(GetResourcesCommand).resolves({
    ResourceTagMappingList: names.map((Name) => ({
      ResourceARN: arn(Name),
      Tags: [{ Key: TAG.schedule, Value: 'office-hours' }],
    })),
    PaginationToken: '',
  });
}

const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

/** The sizes of every state's payload in one run over the fleets the mocks answer. */
async function run() {
  const evaluation = await evaluateSchedules({ config }, deps);
  // Every change applied: the Map's outcome per item (lib/schedule/apply.ts compactOutcome).
  const results: ApplyOutcome[] = evaluation.changes.map(() => 'applied');
  const mapOutput = { ...evaluation, results };
  const { at, dryRun, changes, unchanged, previewed, kinds, failed } = mapOutput;
  const reportInput = { at, dryRun, changes, unchanged, previewed, kinds, failed, results };
  const output = buildReport(reportInput);
  return {
    evaluation,
    output,
    sizes: {
      Evaluate: bytes(evaluation),
      ApplyChanges: bytes(mapOutput),
      'Report input': bytes(reportInput),
      Report: bytes(output),
    },
  };
}

beforeEach(() => {
  for (const m of Object.values(mocks)) m.reset();
  mocks.autoscaling.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
});

describe('Fleet schedule payloads stay under Step Functions’ 256 KiB', () => {
  it('2,000 fleets that all change (2 → 8): every state, and the execution output', async () => {
    fleets(2000, 2);
    const { evaluation, output, sizes } = await run();
    expect(evaluation.changes).toHaveLength(2000);
    for (const [state, size] of Object.entries(sizes)) expect(size, state).toBeLessThan(LIMIT);
    // Still one line per fleet for the CLI: before → after, action, reason, result.
    const report = expandReport(output);
    expect(report.fleets).toHaveLength(2000);
    expect(report.fleets[0]).toMatchObject({
      fleet: name(0),
      fleetType: 'ALWAYS_ON',
      unit: 'DesiredInstances',
      before: 2,
      after: 8,
      action: 'resize',
      reason: 'period workday',
      result: 'applied',
    });
    expect(report.counts).toEqual({ resize: 2000, applied: 2000 });
  });

  it('2,000 fleets that need nothing: the unchanged ones travel as [fleet, region, capacity, reason]', async () => {
    fleets(2000, 8);
    const { evaluation, output, sizes } = await run();
    expect(evaluation.changes).toEqual([]);
    expect(evaluation.unchanged[0]).toEqual([name(0), 'us-east-1', 8, 'period workday']);
    for (const [state, size] of Object.entries(sizes)) expect(size, state).toBeLessThan(LIMIT);
    // ~56 bytes a fleet: a sixth of a full plan (~330 bytes).
    expect(sizes.Report / 2000).toBeLessThan(60);
    const report = expandReport(output);
    expect(report.fleets[1999]).toMatchObject({
      fleet: name(1999),
      before: 8,
      after: 8,
      action: 'none',
      reason: 'period workday',
      result: 'unchanged',
    });
    expect(report.counts).toEqual({ none: 2000, unchanged: 2000 });
  });

  it('reaches the limit at about 5,000 fleets all changing, 4,650 none (the figures in lib/schedule/wire.ts)', async () => {
    const largest = async (n: number, desired: number) => {
      fleets(n, desired);
      return Math.max(...Object.values((await run()).sizes));
    };
    const limitAt = async (desired: number) => {
      const [a, b] = [await largest(500, desired), await largest(1000, desired)];
      const perFleet = (b - a) / 500;
      return Math.floor((LIMIT - (a - 500 * perFleet)) / perFleet);
    };
    const allChange = await limitAt(2);
    const noneChange = await limitAt(8);
    expect(allChange).toBeGreaterThan(4500);
    expect(allChange).toBeLessThan(5500);
    expect(noneChange).toBeGreaterThan(4200);
    expect(noneChange).toBeLessThan(5200);
  });
});
