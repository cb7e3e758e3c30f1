import { AppStreamClient } from '@aws-sdk/client-appstream';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { CleanupDeps } from '../cleanup/deps';
import { systemClock } from '../clock';
import { ConfigError } from '../errors';
import { deploymentName } from '../tags';

/** Temporary credentials as the SDK takes them (AwsCredentialIdentity). */
interface AwsCredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}
/** A credentials provider as the SDK takes it (AwsCredentialIdentityProvider). */
export type AwsCredentialIdentityProvider = () => Promise<AwsCredentialIdentity>;

const ROLE_ARN = /^arn:aws[\w-]*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;

/**
 * CLEANUP_ACCOUNT_ROLES: the roles to assume in the other accounts, as a comma- or
 * whitespace-separated list of IAM role ARNs (the account is the ARN's; the policy's
 * `scope.accounts[].roleArn`, serverless.yml param cleanupAccountRoles). Empty or absent: none.
 */
export function parseAccountRoles(
  value: string | undefined,
  name = 'CLEANUP_ACCOUNT_ROLES',
): Record<string, string> {
  const roles: Record<string, string> = {};
  for (const arn of (value ?? '').split(/[\s,]+/).filter(Boolean)) {
    const m = ROLE_ARN.exec(arn);
    if (!m)
      throw new ConfigError(`${name}: '${arn}' is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`);
    if (roles[m[1]] !== undefined && roles[m[1]] !== arn)
      throw new ConfigError(`${name}: two roles for account ${m[1]} (${roles[m[1]]}, ${arn})`);
    roles[m[1]] = arn;
  }
  return roles;
}

/** Credentials are refreshed this long before they expire. */
const REFRESH_BEFORE_MS = 5 * 60_000;

/**
 * Credentials of `roleArn`, assumed through `sts` and kept until 5 minutes before they expire by
 * `now` (the emulator's virtual clock locally: its STS issues expirations on that clock). The SDK
 * is told they expire at once, so it asks this provider before every request and this provider's
 * cache, not the SDK's real-time one, decides when to assume again.
 */
export function assumedRoleCredentials(
  sts: () => STSClient,
  roleArn: string,
  sessionName: string,
  now: () => number = Date.now,
): AwsCredentialIdentityProvider {
  let cached: { identity: AwsCredentialIdentity; expiresAt: number } | undefined;
  let pending: Promise<AwsCredentialIdentity> | undefined;
  const assume = async (): Promise<AwsCredentialIdentity> => {
    const out = await sts().send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName }));
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey)
      throw new ConfigError(`AssumeRole ${roleArn}: no credentials in the answer`);
    const identity = {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
    };
    cached = { identity, expiresAt: c.Expiration?.getTime() ?? now() + 3_600_000 };
    return identity;
  };
  return async () => {
    if (!cached || now() >= cached.expiresAt - REFRESH_BEFORE_MS) {
      pending ??= assume().finally(() => {
        pending = undefined;
      });
      await pending;
    }
    return { ...cached!.identity, expiration: new Date(Date.now()) };
  };
}

export interface AccountClientsOptions<C> {
  /** The account the default credentials belong to; undefined: unknown (every unmapped account uses them). */
  homeAccount?: string;
  /** Role to assume per other account (parseAccountRoles). */
  roles: Record<string, string>;
  /** Makes a client for `region`, with `credentials` for another account (undefined: the default ones). */
  make(region: string, credentials?: AwsCredentialIdentityProvider): C;
  /** STS client for AssumeRole (the deployment's region). */
  sts(): STSClient;
  sessionName: string;
  now?: () => number;
}

/**
 * The per-(account, region) client port: the home account with the default credentials, others
 * through their role (one client per account and region, one credentials cache per account). An
 * account that is neither → ConfigError naming it.
 */
export function accountClients<C>(o: AccountClientsOptions<C>): (account: string, region: string) => C {
  const clients = new Map<string, C>();
  const credentials = new Map<string, AwsCredentialIdentityProvider>();
  return (account, region) => {
    const key = `${account}/${region}`;
    const made = clients.get(key);
    if (made) return made;
    const roleArn = o.roles[account];
    let client: C;
    if (roleArn && account !== o.homeAccount) {
      let creds = credentials.get(account);
      if (!creds) {
        creds = assumedRoleCredentials(o.sts, roleArn, o.sessionName, o.now);
        credentials.set(account, creds);
      }
      client = o.make(region, creds);
    } else if (o.homeAccount === undefined || account === o.homeAccount) client = o.make(region);
    else
      throw new ConfigError(
        `account ${account}: not this deployment's account (${o.homeAccount}) and no role for it in CLEANUP_ACCOUNT_ROLES (scope.accounts roleArn)`,
      );
    clients.set(key, client);
    return client;
  };
}

let deps: CleanupDeps | undefined;

/**
 * Dependencies of the deployed cleanup functions, built once per container: AUTOPILOT_ACCOUNT_ID
 * (serverless.yml `${aws:accountId}`) is the home account, CLEANUP_ACCOUNT_ROLES the roles of the
 * others (parseAccountRoles).
 */
export function cleanupAwsDeps(env: Record<string, string | undefined> = process.env): CleanupDeps {
  if (deps) return deps;
  const region = env.AWS_REGION ?? 'us-east-1';
  let sts: STSClient | undefined;
  deps = {
    deployment: deploymentName(env),
    region,
    appstream: accountClients({
      homeAccount: env.AUTOPILOT_ACCOUNT_ID || undefined,
      roles: parseAccountRoles(env.CLEANUP_ACCOUNT_ROLES),
      make: (r, credentials) => new AppStreamClient({ region: r, ...(credentials ? { credentials } : {}) }),
      sts: () => {
        sts ??= new STSClient({ region });
        return sts;
      },
      sessionName: `${deploymentName(env)}-cleanup`.slice(0, 64),
    }),
    clock: systemClock,
  };
  return deps;
}
