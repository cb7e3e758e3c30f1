/**
 * Step Functions Express, US East (N. Virginia) (https://aws.amazon.com/step-functions/pricing/):
 * $1.00 per million requests (executions started) and $0.00001667 per GB-second of duration
 * ($0.06 per GB-hour for the first 1,000 GB-hours a month), duration rounded up to 100 ms and
 * memory billed in 64-MB chunks (`chunkGb`; "50 MB + definition size + execution data ×
 * Map/Parallel steps").
 */
export const EXPRESS_PRICES = { perRequest: 1 / 1_000_000, perGbSecond: 0.00001667, chunkGb: 64 / 1024 };

/** Runs a month at a 5-minute cadence: 12 an hour × 24 × 30 = 8,640. */
export const RUNS_PER_MONTH_5MIN = 8_640;
