import { defineFunction } from '../lib/lambda/define';
import { backstop, ExecutionStatusChangeSchema } from '../lib/pipeline/backstop';

/**
 * EventBridge target for the image pipeline's "Step Functions Execution Status Change" events
 * (ABORTED, TIMED_OUT, FAILED): stops or deletes the builder an execution left behind.
 */
export const { handler, withDeps, schema } = defineFunction(ExecutionStatusChangeSchema, backstop);
