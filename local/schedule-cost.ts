import { LAMBDA_BASE_SECONDS, LAMBDA_MEMORY_GB, PRICES } from './cost';

/**
 * Step Functions Express, US East (N. Virginia) (https://aws.amazon.com/step-functions/pricing/):
 * $1.00 per million requests (executions started) and $0.00001667 per GB-second of duration
 * ($0.06 per GB-hour for the first 1,000 GB-hours a month), duration rounded up to 100 ms and
 * memory billed in 64-MB chunks ("50 MB + definition size + execution data × Map/Parallel
 * steps": a schedule run is one 64-MB chunk).
 */
export const EXPRESS_PRICES = { perRequest: 1 / 1_000_000, perGbSecond: 0.00001667, memoryGb: 64 / 1024 };

/** Runs a month at a 5-minute cadence: 12 an hour × 24 × 30 = 8,640. */
export const RUNS_PER_MONTH_5MIN = 8_640;

export interface ScheduleRunFigures {
  /** States entered plus retries, per run (LocalRunResult.transitions). */
  transitions: number;
  lambdaInvocations: number;
  /** Wall time of one run (Express bills its duration). */
  runSeconds: number;
}

/**
 * The monthly orchestration cost of the fleet schedule as Standard and as Express (free tiers
 * left out, like local/cost.ts), and the Lambda cost both pay.
 */
export function monthlyScheduleCost(run: ScheduleRunFigures, runsPerMonth = RUNS_PER_MONTH_5MIN) {
  const standard = run.transitions * PRICES.sfnPerTransition * runsPerMonth;
  const billedSeconds = Math.ceil(run.runSeconds * 10) / 10;
  const express =
    (EXPRESS_PRICES.perRequest + billedSeconds * EXPRESS_PRICES.memoryGb * EXPRESS_PRICES.perGbSecond) *
    runsPerMonth;
  const lambda =
    run.lambdaInvocations *
    (PRICES.lambdaPerRequest + LAMBDA_BASE_SECONDS * LAMBDA_MEMORY_GB * PRICES.lambdaPerGbSecond) *
    runsPerMonth;
  return { standard, express, lambda };
}
