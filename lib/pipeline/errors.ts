/**
 * Errors with stable names: the state machine's Retry and Catch match on `name`, and Lambda
 * reports it as the error type.
 */
export class PipelineError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

const named = (name: string) =>
  class extends PipelineError {
    constructor(message: string) {
      super(name, message);
    }
  };

/** The pipeline definition is invalid; the message names the field. */
export const ConfigError = named('ConfigError');
/** No base image matched `latest:<platform>` or the name/ARN given. */
export const BaseImageNotFound = named('BaseImageNotFound');
export const BuilderStartTimeout = named('BuilderStartTimeout');
export const BuilderFailed = named('BuilderFailed');
export const BuildTimeout = named('BuildTimeout');
/** A build command exited non-zero on the builder. */
export const BuildCommandFailed = named('BuildCommandFailed');
/** The Image Assistant CLI answered a non-zero status. */
export const ImageAssistantError = named('ImageAssistantError');
/** The builder's agent refused the job (bad or missing signature, expired, another builder's). */
export const BuildAgentRefused = named('BuildAgentRefused');
/** No agent picked the job up in time, or its heartbeats stopped (lease expired). */
export const BuildAgentLost = named('BuildAgentLost');
/** The builder runs an agent of an older protocol: the message names the agent to bake. */
export const BuildAgentOutdated = named('BuildAgentOutdated');
export const ImageFailed = named('ImageFailed');
export const ImageTimeout = named('ImageTimeout');
/** A fleet to roll out to is STARTING or STOPPING; the state machine retries later. */
export const FleetBusy = named('FleetBusy');
export const CopyFailed = named('CopyFailed');
export const CopyTimeout = named('CopyTimeout');
/** The builder did not reach STOPPED (or go away) in time after the image was done. */
export const BuilderStopTimeout = named('BuilderStopTimeout');
/**
 * Another run of this pipeline is still going (its builder is tagged with an execution that is
 * still RUNNING); set `concurrency.allowParallel: true` to allow parallel runs.
 */
export const PipelineAlreadyRunning = named('PipelineAlreadyRunning');
/**
 * The pre-flight found problems a run would otherwise hit an hour in (image name taken, fleet or
 * subnet missing, no route to S3 for the agent, …): one line per problem, naming the field.
 */
export const PreflightFailed = named('PreflightFailed');
/** AWS kept failing with throttling or server errors after the SDK's retries. */
export const AwsTransientError = named('AwsTransientError');
/** An AWS call failed for a reason retrying can't fix (permissions, quota, bad state). */
export const AwsRequestError = named('AwsRequestError');

/**
 * Error names every Task state retries with backoff (everything else is final): the one list;
 * test/unit/pipeline/asl.test.ts checks each Task's transient Retry in statemachines/*.asl.json
 * equals it. The Lambda service errors are the ones AWS recommends retrying ("Handle Lambda
 * service exceptions", https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html),
 * plus Lambda.TooManyRequestsException (Lambda's concurrency limit, same page).
 */
export const TRANSIENT_ERRORS: readonly string[] = [
  'AwsTransientError',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];
