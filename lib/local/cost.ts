/**
 * Published on-demand prices (us-east-1): Step Functions Standard $0.025 per 1,000 state
 * transitions; Lambda $0.20 per 1M requests and $0.0000166667 per GB-second (x86).
 */
export const PRICES = {
  sfnPerTransition: 0.025 / 1000,
  lambdaPerRequest: 0.2 / 1_000_000,
  lambdaPerGbSecond: 0.0000166667,
};

/** Memory of the pipeline functions in serverless.yml. */
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
