import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppStreamClient } from '@aws-sdk/client-appstream';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { parse } from 'yaml';
import { aws } from '../aws/call';
import { perRegion } from '../aws/per-region';
import type { AccountAccess, CleanupDeps } from '../cleanup/deps';
import { systemClock } from '../clock';
import { ConfigError } from '../errors';
import { SnsNotifier } from '../notify/sns';
import { deploymentName } from '../tags';
import { SfnExecutions } from './sfn-executions';

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
  externalId?: string,
): AwsCredentialIdentityProvider {
  let cached: { identity: AwsCredentialIdentity; expiresAt: number } | undefined;
  let pending: Promise<AwsCredentialIdentity> | undefined;
  const assume = async (): Promise<AwsCredentialIdentity> => {
    const out = await sts().send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: sessionName,
        ...(externalId ? { ExternalId: externalId } : {}),
      }),
    );
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
 * through `access` (the cleanup policy's role for it) or else their role in `roles` (one client per
 * account, region and role, one credentials cache per role). An account that is neither →
 * ConfigError naming it.
 */
export function accountClients<C>(
  o: AccountClientsOptions<C>,
): (account: string, region: string, access?: AccountAccess) => C {
  const clients = new Map<string, C>();
  const credentials = new Map<string, AwsCredentialIdentityProvider>();
  return (account, region, access) => {
    const roleArn = access?.roleArn ?? o.roles[account];
    const externalId = access?.externalId;
    const key = `${account}/${region}/${roleArn ?? ''}/${externalId ?? ''}`;
    const made = clients.get(key);
    if (made) return made;
    let client: C;
    if (roleArn && account !== o.homeAccount) {
      const credsKey = `${roleArn}/${externalId ?? ''}`;
      let creds = credentials.get(credsKey);
      if (!creds) {
        creds = assumedRoleCredentials(o.sts, roleArn, o.sessionName, o.now, externalId);
        credentials.set(credsKey, creds);
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

/**
 * CLEANUP_CONNECTION_SIGNAL: where the connection recorder receives events (a trail logging
 * management events and the recorder's rule, or a rule forwarding to its bus): a comma- or
 * whitespace-separated list of `home` (this deployment's account and region), `account/region`,
 * `region` (any account), `account/*` or `*`. Empty or absent: nowhere: serverless.yml deploys
 * the rule, but nothing can tell whether a trail logs the connections there, and a scope assumed
 * to have the signal without one would stop builders in use once sessionGrace passed. The admin
 * lists the scopes where the trail and the rule exist. Elsewhere the policy's
 * withoutConnectionSignal decides (default warn-only), and each run's summary lists the scopes
 * without the signal.
 */
export function connectionSignalFrom(
  value: string | undefined,
  home: { account?: string; region: string },
): (account: string, region: string) => boolean {
  const entries = (value ?? '').split(/[\s,]+/).filter(Boolean);
  for (const e of entries)
    if (!/^(home|\*|[a-z]{2}(-[a-z]+)+-\d|\d{12}\/(\*|[a-z]{2}(-[a-z]+)+-\d))$/.test(e))
      throw new ConfigError(
        `CLEANUP_CONNECTION_SIGNAL: '${e}' is not home, account/region, region, account/* or *`,
      );
  const isHome = (a: string, r: string) =>
    r === home.region && (home.account === undefined || a === home.account);
  return (a, r) =>
    entries.some(
      (e) => e === '*' || e === r || e === `${a}/${r}` || e === `${a}/*` || (e === 'home' && isHome(a, r)),
    );
}

let deps: CleanupDeps | undefined;

/**
 * Dependencies of the deployed cleanup functions, built once per container: AUTOPILOT_ACCOUNT_ID
 * (serverless.yml `${aws:accountId}`) is the home account, CLEANUP_ACCOUNT_ROLES the roles of the
 * others for callers that name none (the recorder; sweeps use the policy's roleArn),
 * CLEANUP_CONNECTION_SIGNAL where connection events arrive, PIPELINE_STATE_MACHINE_ARN the image
 * pipeline whose runs own builders (ListExecutions), CLEANUP_POLICY_FILE the bundled policy.
 */
export function cleanupAwsDeps(env: Record<string, string | undefined> = process.env): CleanupDeps {
  if (deps) return deps;
  const region = env.AWS_REGION ?? 'us-east-1';
  const account = env.AUTOPILOT_ACCOUNT_ID || undefined;
  let sts: STSClient | undefined;
  const common = {
    homeAccount: account,
    roles: parseAccountRoles(env.CLEANUP_ACCOUNT_ROLES),
    sts: () => {
      sts ??= new STSClient({ region });
      return sts;
    },
    sessionName: `${deploymentName(env)}-cleanup`.slice(0, 64),
  };
  const sfn = perRegion((r) => new SFNClient({ region: r }));
  const sns = perRegion((r) => new SNSClient({ region: r }));
  const executions = new SfnExecutions(sfn);
  const pipeline = env.PIPELINE_STATE_MACHINE_ARN;
  const file = env.CLEANUP_POLICY_FILE;
  deps = {
    deployment: deploymentName(env),
    region,
    account,
    appstream: accountClients({
      ...common,
      make: (r, credentials) => new AppStreamClient({ region: r, ...(credentials ? { credentials } : {}) }),
    }),
    tagging: accountClients({
      ...common,
      make: (r, credentials) =>
        new ResourceGroupsTaggingAPIClient({ region: r, ...(credentials ? { credentials } : {}) }),
    }),
    clock: systemClock,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    connectionSignal: connectionSignalFrom(env.CLEANUP_CONNECTION_SIGNAL, { account, region }),
    // Builders carry their run's short id, not its name: the runs are listed (ListExecutions, every
    // status, closed ones kept 90 days) and matched by short id (lib/cleanup/pipeline-runs.ts).
    pipelineRuns: pipeline ? () => executions.list(pipeline) : undefined,
    executions: { running: (self) => executions.running(self) },
    notifier: new SnsNotifier(sns),
    notifyReach: (topicArn) => topicReach(sns, topicArn),
    loadPolicy: file
      ? () => loadCleanupPolicyText(file.startsWith('/') ? file : join(env.LAMBDA_TASK_ROOT ?? '.', file))
      : undefined,
  };
  return deps;
}

/**
 * Why a warning published to `topicArn` would reach nobody: SNS GetTopicAttributes'
 * SubscriptionsConfirmed ("The number of confirmed subscriptions for the topic": the SNS API model
 * as shipped in @aws-sdk/client-sns, GetTopicAttributesResponse.Attributes)
 * is 0 (an email subscription not yet confirmed receives nothing). Undefined when someone is
 * subscribed; a failed look-up throws (the sweep then runs warn-only: it can't tell).
 */
export async function topicReach(
  sns: (region: string) => SNSClient,
  topicArn: string,
): Promise<string | undefined> {
  const out = await aws(`GetTopicAttributes ${topicArn}`, () =>
    sns(topicArn.split(':')[3]).send(new GetTopicAttributesCommand({ TopicArn: topicArn })),
  );
  const confirmed = Number(out.Attributes?.SubscriptionsConfirmed ?? '0');
  return confirmed > 0
    ? undefined
    : `topic ${topicArn} has no confirmed subscription (SubscriptionsConfirmed 0; ${out.Attributes?.SubscriptionsPending ?? '0'} pending): warnings reach nobody, nothing is stopped or deleted`;
}

/** The policy file as parsed YAML (validated by each step, which names the field). */
function loadCleanupPolicyText(path: string): unknown {
  try {
    return parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${path}: ${(err as Error).message}`);
  }
}
