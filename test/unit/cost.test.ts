import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  LAMBDA_ARCHITECTURE,
  LAMBDA_BASE_SECONDS,
  LAMBDA_MEMORY_GB,
  orchestrationCost,
  PRICES,
  usd,
} from '../../local/cost';

interface Sls {
  provider: { architecture?: string; memorySize?: number };
  functions: Record<string, { architecture?: string; memorySize?: number }>;
}
// CloudFormation tags (!Ref, !GetAtt) aren't needed here: keep them as plain values.
const sls = parse(readFileSync('serverless.yml', 'utf8'), { logLevel: 'silent' }) as Sls;

describe('Orchestration cost estimate', () => {
  it('prices the architecture and memory serverless.yml deploys (arm64, 128 MB)', () => {
    expect(sls.provider.architecture).toBe(LAMBDA_ARCHITECTURE);
    expect(LAMBDA_ARCHITECTURE).toBe('arm64');
    expect(sls.provider.memorySize).toBe(LAMBDA_MEMORY_GB * 1024);
    for (const [name, fn] of Object.entries(sls.functions)) {
      expect(fn.architecture ?? LAMBDA_ARCHITECTURE, name).toBe(LAMBDA_ARCHITECTURE);
      expect(fn.memorySize ?? LAMBDA_MEMORY_GB * 1024, name).toBe(LAMBDA_MEMORY_GB * 1024);
    }
  });

  it('uses the us-east-1 arm64 Lambda and Step Functions Standard prices', () => {
    expect(PRICES.lambdaPerGbSecond).toBe(0.0000133334);
    expect(PRICES.lambdaPerRequest * 1_000_000).toBeCloseTo(0.2, 10);
    expect(PRICES.sfnPerTransition * 1000).toBeCloseTo(0.025, 10);
  });

  it('adds transitions, requests and GB-seconds (base time per call plus polling)', () => {
    const cost = orchestrationCost({
      transitions: 1000,
      lambdaInvocations: 1_000_000,
      lambdaPollSeconds: 800,
    });
    expect(cost.sfn).toBeCloseTo(0.025, 10);
    const gbSeconds = (1_000_000 * LAMBDA_BASE_SECONDS + 800) * 0.125;
    expect(cost.lambda).toBeCloseTo(0.2 + gbSeconds * 0.0000133334, 10);
    expect(cost.total).toBeCloseTo(cost.sfn + cost.lambda, 12);
    expect(usd(cost.total)).toBe(`$${cost.total.toFixed(4)}`);
    expect(usd(0.00296)).toBe('$0.00296');
  });
});
