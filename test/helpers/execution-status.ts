/** Step Functions' side of the image pipeline's executions as the unit tests see it. */
import type { ExecutionStatusChange } from '../../lib/pipeline/backstop';

/** The deployed image pipeline state machine. */
export const PIPELINE_SM =
  'arn:aws:states:eu-west-1:123456789012:stateMachine:appstream-autopilot-prod-image-pipeline';

/** The ARN of the pipeline's execution `name`. */
export const executionArn = (name: string) =>
  `${PIPELINE_SM.replace(':stateMachine:', ':execution:')}:${name}`;

/** The event Step Functions sends to EventBridge when the execution `name`, started with `input`, ends. */
export function executionStatusChange(
  status: ExecutionStatusChange['detail']['status'],
  input: unknown,
  name: string,
): ExecutionStatusChange {
  return {
    version: '0',
    id: 'e1',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '123456789012',
    time: '2026-11-26T10:00:00Z',
    region: 'eu-west-1',
    resources: [executionArn(name)],
    detail: {
      executionArn: executionArn(name),
      stateMachineArn: PIPELINE_SM,
      name,
      status,
      startDate: 1,
      stopDate: 2,
      input: JSON.stringify(input),
      inputDetails: { included: true },
    },
  };
}
