/**
 * Published on-demand prices, US East (N. Virginia), for what serverless.yml deploys:
 * - Step Functions Standard: $0.025 per 1,000 state transitions, retries included
 *   (https://aws.amazon.com/step-functions/pricing/).
 * - Lambda on arm64 (Graviton; serverless.yml `architecture: arm64`): $0.20 per 1M requests and
 *   $0.0000133334 per GB-second for the first 7.5 billion GB-seconds a month (x86 would be
 *   $0.0000166667) (https://aws.amazon.com/lambda/pricing/, "Arm Price").
 * Free tiers (4,000 transitions, 1M requests and 400,000 GB-seconds a month) are left out: the
 * estimate is what a run adds to an account that already uses them.
 */
export const PRICES = {
  sfnPerTransition: 0.025 / 1000,
  lambdaPerRequest: 0.2 / 1_000_000,
  lambdaPerGbSecond: 0.0000133334,
};

/** The architecture the prices are for: serverless.yml's `provider.architecture`. */
export const LAMBDA_ARCHITECTURE = 'arm64';
/** Memory of the pipeline functions: serverless.yml's `provider.memorySize` (128 MB). */
export const LAMBDA_MEMORY_GB = 0.125;
/** Billed time of a function call that doesn't poll (cold starts aside). */
export const LAMBDA_BASE_SECONDS = 0.1;

export interface CostInput {
  transitions: number;
  lambdaInvocations: number;
  /** Seconds functions spent polling inside their windows. */
  lambdaPollSeconds: number;
}

export function orchestrationCost(c: CostInput) {
  const sfn = c.transitions * PRICES.sfnPerTransition;
  const gbSeconds = (c.lambdaInvocations * LAMBDA_BASE_SECONDS + c.lambdaPollSeconds) * LAMBDA_MEMORY_GB;
  const lambda = c.lambdaInvocations * PRICES.lambdaPerRequest + gbSeconds * PRICES.lambdaPerGbSecond;
  return { sfn, lambda, total: sfn + lambda };
}

export const usd = (v: number) => `$${v.toFixed(v < 0.01 ? 5 : 4)}`;
