import { ServiceError } from './errors';
import { DEFAULT_ACCOUNT } from './world';

export interface Caller {
  account: string;
  region: string;
  accessKeyId: string;
}

const CREDENTIAL = /Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/;

/**
 * Reads the caller from the SigV4 Authorization header. The signature itself is not checked
 * (there are no secrets locally); the account is the access key id when it is 12 digits,
 * else the default account, and the region is the credential scope's.
 */
export function callerFrom(authorization: string | undefined): Caller {
  // AWS's common errors: a missing token is 403, a malformed signature 400.
  if (!authorization)
    throw new ServiceError(
      'MissingAuthenticationTokenException',
      'Request is missing Authentication Token',
      403,
    );
  const m = CREDENTIAL.exec(authorization);
  if (!authorization.startsWith('AWS4-HMAC-SHA256 ') || !m || !/Signature=[0-9a-f]+/.test(authorization))
    throw new ServiceError(
      'IncompleteSignatureException',
      `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. Authorization=${authorization.split(' ')[0]}`,
    );
  const [, accessKeyId, , region] = m;
  return { accessKeyId, region, account: /^\d{12}$/.test(accessKeyId) ? accessKeyId : DEFAULT_ACCOUNT };
}
