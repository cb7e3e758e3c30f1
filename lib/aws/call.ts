import { AwsRequestError, AwsTransientError } from '../errors';

interface SdkError {
  name?: string;
  message?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Error names worth retrying later. Each service names throttling its own way: AppStream and
 * Application Auto Scaling `ThrottlingException`, the Resource Groups Tagging API
 * `ThrottledException` (declared in its model; the SDK's THROTTLING_ERROR_CODES retry it too).
 */
const TRANSIENT_NAMES = [
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceededException',
  // EC2's throttling error (Amazon EC2 API reference, "Error codes for the Amazon EC2 API").
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'Throttling',
  'TimeoutError',
  'RequestTimeout',
];
const NETWORK_CODES = ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'];

/** True for errors worth retrying later: throttling, 5xx, network failures. */
export function isTransient(err: unknown): boolean {
  const e = err as SdkError & { code?: string };
  const status = e?.$metadata?.httpStatusCode ?? 0;
  return (
    TRANSIENT_NAMES.includes(e?.name ?? '') ||
    NETWORK_CODES.includes(e?.code ?? '') ||
    status >= 500 ||
    e?.$retryable !== undefined
  );
}

/**
 * Runs one AWS call (the SDK has already retried it) and turns what is left into errors with
 * stable names: `AwsTransientError` (the state machine retries with backoff) or the service's
 * own exception name (e.g. `ResourceNotFoundException`) for callers to handle.
 */
export async function aws<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const e = err as SdkError;
    if (isTransient(err))
      throw new AwsTransientError(`${what}: ${e.name ?? 'Error'}: ${e.message ?? String(err)}`);
    throw err;
  }
}

/** Wraps an AWS service error the caller did not expect into AwsRequestError (final). */
export function unexpected(what: string, err: unknown): Error {
  if ((err as Error)?.name === 'AwsTransientError') return err as Error;
  const e = err as SdkError;
  return new AwsRequestError(`${what}: ${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`);
}

export const isNotFound = (err: unknown) => (err as SdkError)?.name === 'ResourceNotFoundException';
