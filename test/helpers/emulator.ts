import { AppStreamClient } from '@aws-sdk/client-appstream';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type EmulatorOptions, type RunningEmulator, startEmulator } from '../../emulator';

export const ACCOUNT = '123456789012';
export const OTHER_ACCOUNT = '210987654321';

export interface EmulatorFixture {
  emu: RunningEmulator;
  /** A real SDK client pointed at the emulator; the access key picks the account. */
  client(opts?: ClientOptions): AppStreamClient;
  /** Any real SDK client (Application Auto Scaling, Resource Groups Tagging, ...) pointed at the emulator. */
  sdk<C extends { destroy(): void }>(Client: new (config: SdkConfig) => C, opts?: ClientOptions): C;
}

export interface ClientOptions {
  account?: string;
  region?: string;
  maxAttempts?: number;
}

interface SdkConfig {
  endpoint: string;
  region: string;
  maxAttempts: number;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/**
 * Starts one emulator for the file (127.0.0.1, free port), resets it before each test and
 * stops it after the file. Jitter is off so durations are exactly the configured medians.
 */
export function useEmulator(options: EmulatorOptions = {}): EmulatorFixture {
  const clients: { destroy(): void }[] = [];
  const fixture = {} as EmulatorFixture;
  beforeAll(async () => {
    fixture.emu = await startEmulator({ jitterSigma: 0, ...options });
  });
  beforeEach(() => {
    fixture.emu.control.reset();
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await fixture.emu?.stop();
  });
  fixture.sdk = (Client, { account = ACCOUNT, region = 'us-east-1', maxAttempts = 1 } = {}) => {
    const c = new Client({
      endpoint: fixture.emu.endpoint,
      region,
      maxAttempts,
      credentials: { accessKeyId: account, secretAccessKey: 'secret' },
    });
    clients.push(c);
    return c;
  };
  fixture.client = (opts) => fixture.sdk(AppStreamClient, opts);
  return fixture;
}

export const MIN = 60_000;

/** Raw AWS JSON 1.1 call with a well-formed SigV4 header (signature not checked by the emulator). */
export async function rawCall(
  endpoint: string,
  operation: string,
  body: unknown,
  { account = ACCOUNT, region = 'us-east-1', prefix = 'PhotonAdminProxyService', auth = true } = {},
): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.1',
    'x-amz-target': `${prefix}.${operation}`,
  };
  if (auth)
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${account}/20261126/${region}/appstream/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=abcdef0123456789`;
  const res = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : {}, headers: res.headers };
}

export const WIN2022 = 'AppStream-WinServer2022-10-14-2025';
