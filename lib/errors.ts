/**
 * Errors with stable names, shared by every workflow: the state machines' Retry and Catch match
 * on `name`, and Lambda reports it as the error type.
 */
export class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** A NamedError class whose instances are all named `name`. */
export const named = (name: string) =>
  class extends NamedError {
    constructor(message: string) {
      super(name, message);
    }
  };

/** The definition is invalid; the message names the field. */
export const ConfigError = named('ConfigError');
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
