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
export const ImageFailed = named('ImageFailed');
export const ImageTimeout = named('ImageTimeout');
/** A fleet to roll out to is STARTING or STOPPING; the state machine retries later. */
export const FleetBusy = named('FleetBusy');
export const CopyFailed = named('CopyFailed');
export const CopyTimeout = named('CopyTimeout');
/** The builder did not reach STOPPED (or go away) in time after the image was done. */
export const BuilderStopTimeout = named('BuilderStopTimeout');
/** AWS kept failing with throttling or server errors after the SDK's retries. */
export const AwsTransientError = named('AwsTransientError');
/** An AWS call failed for a reason retrying can't fix (permissions, quota, bad state). */
export const AwsRequestError = named('AwsRequestError');

/** Error names the state machine retries with backoff (everything else is final). */
export const TRANSIENT_ERRORS = [
  'AwsTransientError',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];
