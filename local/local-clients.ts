import { AppStreamClient } from '@aws-sdk/client-appstream';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { STSClient } from '@aws-sdk/client-sts';
import { ConfiguredRetryStrategy } from '@smithy/util-retry';
import { type AwsCredentialIdentityProvider, accountClients } from '../lib/lambda/cleanup-deps';

/**
 * Real SDK clients against a local emulator (every service on its one port; the access key picks
 * the account), kept in `clients` so the caller destroys them all at the end. `maxAttempts`
 * defaults to the SDK's standard 3, without real-time backoff pauses. `make` takes other
 * `credentials` (another account's, from AssumeRole) in place of the account's own.
 */
export function localClients(endpoint: string, account: string, maxAttempts = 3) {
  const clients: { destroy(): void }[] = [];
  const home = { accessKeyId: account, secretAccessKey: 'local' };
  const config = (region: string, credentials?: AwsCredentialIdentityProvider) => ({
    endpoint,
    region,
    credentials: credentials ?? home,
    retryStrategy: new ConfiguredRetryStrategy(maxAttempts, () => 5),
  });
  return {
    clients,
    make<C extends { destroy(): void }>(
      Client: new (c: ReturnType<typeof config>) => C,
      region: string,
      credentials?: AwsCredentialIdentityProvider,
    ): C {
      const c = new Client(config(region, credentials));
      clients.push(c);
      return c;
    },
  };
}

/**
 * Cleanup's per-(account, region) AppStream and tagging clients against a local emulator
 * (accountClients): the home `account` with its own access key, the accounts in `roles` through
 * the emulator's STS AssumeRole (an STS client in `region`, made when first needed; credentials
 * kept by `now`). Every client made is kept in `clients` for the caller to destroy.
 */
export function localAccountClients(
  endpoint: string,
  opts: {
    account: string;
    region: string;
    roles?: Record<string, string>;
    now?: () => number;
    maxAttempts?: number;
  },
) {
  const { clients, make } = localClients(endpoint, opts.account, opts.maxAttempts);
  let sts: STSClient | undefined;
  const common = {
    homeAccount: opts.account,
    roles: opts.roles ?? {},
    sts: () => {
      sts ??= make(STSClient, opts.region);
      return sts;
    },
    sessionName: 'local-cleanup',
    now: opts.now,
  };
  return {
    clients,
    appstream: accountClients({ ...common, make: (r, credentials) => make(AppStreamClient, r, credentials) }),
    tagging: accountClients({
      ...common,
      make: (r, credentials) => make(ResourceGroupsTaggingAPIClient, r, credentials),
    }),
  };
}
