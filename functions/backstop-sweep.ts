import { defineFunction } from '../lib/lambda/define';
import { SweepInputSchema, sweepBuilders } from '../lib/pipeline/sweep';

/**
 * Hourly EventBridge schedule (serverless.yml): stops the builders of executions that are no longer
 * RUNNING, in case the status-change event that drives the execution backstop never came
 * (EventBridge delivers Step Functions events best effort) or its invocation failed for good.
 */
export const { handler, withDeps, schema } = defineFunction(SweepInputSchema, sweepBuilders);
