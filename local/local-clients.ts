import { ConfiguredRetryStrategy } from '@smithy/util-retry';

/**
 * Real SDK clients against a local emulator (every service on its one port; the access key picks
 * the account), kept in `clients` so the caller destroys them all at the end. `maxAttempts`
 * defaults to the SDK's standard 3, without real-time backoff pauses.
 */
export function localClients(endpoint: string, account: string, maxAttempts = 3) {
  const clients: { destroy(): void }[] = [];
  const config = (region: string) => ({
    endpoint,
    region,
    credentials: { accessKeyId: account, secretAccessKey: 'local' },
    retryStrategy: new ConfiguredRetryStrategy(maxAttempts, () => 5),
  });
  return {
    clients,
    make<C extends { destroy(): void }>(Client: new (c: ReturnType<typeof config>) => C, region: string): C {
      const c = new Client(config(region));
      clients.push(c);
      return c;
    },
  };
}
