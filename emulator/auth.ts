import { ServiceError } from './errors';
import { isKnownRegion, type RegionLists } from './regions';
import { DEFAULT_ACCOUNT } from './world';

export interface Caller {
  account: string;
  region: string;
  accessKeyId: string;
  /** The credential scope's service name: 'appstream', 'ec2', 'sts', 'application-autoscaling', 'tagging', ... */
  service: string;
}

const CREDENTIAL = /Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/;

/** `ASIA`/`AKIA` + 12-digit account + 4 characters: a 20-character key id that names its account. */
const KEY_WITH_ACCOUNT = /^(?:AKIA|ASIA)(\d{12})[A-Z0-9]{4}$/;

/**
 * The access key id → account convention (documented in emulator/README.md):
 * a 12-digit key id is that account (legacy); `AKIA`/`ASIA` + 12 digits + 4 of [A-Z0-9] (20
 * characters, like real keys) is the account in the middle; anything else is the default account.
 */
export function accountOf(accessKeyId: string): string {
  if (/^\d{12}$/.test(accessKeyId)) return accessKeyId;
  return KEY_WITH_ACCOUNT.exec(accessKeyId)?.[1] ?? DEFAULT_ACCOUNT;
}

/**
 * An access key id for `account` following the convention above: `ASIA…` for temporary
 * (STS) credentials, `AKIA…` for long-term ones; `suffix` (4 of [A-Z0-9], default 'EMUL')
 * tells keys of one account apart.
 */
export function accessKeyFor(account: string, temporary: boolean, suffix = 'EMUL'): string {
  if (!/^\d{12}$/.test(account)) throw new Error(`Not a 12-digit account id: ${account}`);
  if (!/^[A-Z0-9]{4}$/.test(suffix)) throw new Error(`Access key suffix must be 4 of [A-Z0-9]: ${suffix}`);
  return `${temporary ? 'ASIA' : 'AKIA'}${account}${suffix}`;
}

/** What callerFrom needs of the world: its region lists, the keys STS issued and the virtual time. */
export interface AuthWorld extends RegionLists {
  issuedKeys?: ReadonlyMap<string, { expiration: number }>;
  now?(): number;
}

/**
 * Reads the caller from the SigV4 Authorization header. The signature itself is not checked
 * (there are no secrets locally); the account follows from the access key id (accountOf) and the
 * region is the credential scope's, which must be one where the scope's service runs
 * (regions.ts: AppStream's list for appstream/application-autoscaling, the partition's for
 * ec2/sts/tagging).
 *
 * Temporary keys (`ASIA…`) are checked against the keys STS issued, for every protocol:
 * - one STS never issued → `UnrecognizedClientException` 403 "The security token included in
 *   the request is invalid." (AWS common errors; STS names it `InvalidClientTokenId`, EC2
 *   `AuthFailure`: the Query protocol maps the code);
 * - one past its Expiration (virtual clock) → `ExpiredTokenException` 403 "The security token
 *   included in the request is expired" (AWS common errors; STS `ExpiredToken`, EC2
 *   `RequestExpired`).
 * Long-term keys (12 digits, `AKIA` + 12 digits + 4) are the account's own keys and never expire.
 */
export function callerFrom(authorization: string | undefined, world?: AuthWorld): Caller {
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
  const [, accessKeyId, , region, service] = m;
  // What AWS answers a credential scoped to a region the service doesn't run in (HTTP 403;
  // reported in aws-sdk-js#4545, aws-sdk-ruby#508 among others).
  if (!isKnownRegion(region, world, service))
    throw new ServiceError(
      'InvalidSignatureException',
      'Credential should be scoped to a valid region. ',
      403,
    );
  if (accessKeyId.startsWith('ASIA') && world?.issuedKeys) {
    const issued = world.issuedKeys.get(accessKeyId);
    if (!issued)
      throw new ServiceError(
        'UnrecognizedClientException',
        'The security token included in the request is invalid.',
        403,
      );
    if (world.now && issued.expiration <= world.now())
      throw new ServiceError(
        'ExpiredTokenException',
        'The security token included in the request is expired',
        403,
      );
  }
  return { accessKeyId, region, service, account: accountOf(accessKeyId) };
}
