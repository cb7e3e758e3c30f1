import { ThrottledException } from '@aws-sdk/client-resource-groups-tagging-api';
import { describe, expect, it } from 'vitest';
import { aws, isTransient } from '../../../lib/aws/call';

/** A modeled tagging-API throttle as the SDK throws it after its own retries (HTTP 400, client fault). */
const throttled = () =>
  new ThrottledException({
    message: 'Rate exceeded',
    $metadata: { httpStatusCode: 400, attempts: 3 },
  });

describe('isTransient', () => {
  it('retries the Resource Groups Tagging API’s ThrottledException (a 400, not retryable-marked)', () => {
    const err = throttled();
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.$retryable).toBeUndefined();
    expect(isTransient(err)).toBe(true);
  });

  it('retries EC2’s RequestLimitExceeded (its throttling error, not ...Exception)', () => {
    expect(isTransient({ name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 400 } })).toBe(true);
  });

  it('still retries ThrottlingException and 5xx; not a validation error', () => {
    expect(isTransient({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } })).toBe(true);
    expect(isTransient({ name: 'InternalServiceException', $metadata: { httpStatusCode: 500 } })).toBe(true);
    expect(isTransient({ name: 'InvalidParameterException', $metadata: { httpStatusCode: 400 } })).toBe(
      false,
    );
  });

  it('aws() turns a ThrottledException into AwsTransientError (the state machine retries it)', async () => {
    await expect(aws('GetResources us-east-1', () => Promise.reject(throttled()))).rejects.toMatchObject({
      name: 'AwsTransientError',
      message: 'GetResources us-east-1: ThrottledException: Rate exceeded',
    });
  });
});
