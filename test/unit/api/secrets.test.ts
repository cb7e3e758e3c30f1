import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { secretsManagerSecrets } from '../../../lib/api/secrets';

const client = new SecretsManagerClient({ region: 'eu-west-1' });
const mock = mockClient(client);

function secrets(now: { t: number }) {
  return secretsManagerSecrets({
    client,
    hmacSecretId: 'hmac-arn',
    githubSecretId: 'github-arn',
    clock: { now: () => now.t },
    ttlMs: 60_000,
  });
}

describe('Webhook secrets from Secrets Manager (lib/api/secrets.ts)', () => {
  it('reads each secret once within the TTL, and again after it (a rotated secret is picked up)', async () => {
    mock.reset();
    mock
      .on(GetSecretValueCommand, { SecretId: 'hmac-arn' })
      .resolvesOnce({ SecretString: 'v1' })
      .resolves({ SecretString: 'v2' });
    const now = { t: 0 };
    const s = secrets(now);
    expect(await s.hmacSecret()).toBe('v1');
    now.t = 59_999;
    expect(await s.hmacSecret()).toBe('v1');
    expect(mock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    now.t = 60_000;
    expect(await s.hmacSecret()).toBe('v2');
    expect(mock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('keeps the two secrets apart', async () => {
    mock.reset();
    mock.on(GetSecretValueCommand, { SecretId: 'hmac-arn' }).resolves({ SecretString: 'h' });
    mock.on(GetSecretValueCommand, { SecretId: 'github-arn' }).resolves({ SecretString: 'g' });
    const s = secrets({ t: 0 });
    expect([await s.hmacSecret(), await s.githubSecret()]).toEqual(['h', 'g']);
  });

  it('does not cache a failed read: the next request tries again', async () => {
    mock.reset();
    mock
      .on(GetSecretValueCommand)
      .rejectsOnce(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }))
      .resolves({ SecretString: 'ok' });
    const s = secrets({ t: 0 });
    await expect(s.hmacSecret()).rejects.toThrow('denied');
    expect(await s.hmacSecret()).toBe('ok');
  });

  it('fails with SecretUnavailable for a secret that is not configured or has no string', async () => {
    mock.reset();
    mock.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1]) });
    const s = secretsManagerSecrets({
      client,
      hmacSecretId: 'hmac-arn',
      githubSecretId: undefined,
      clock: { now: () => 0 },
    });
    await expect(s.githubSecret()).rejects.toMatchObject({ name: 'SecretUnavailable' });
    await expect(s.hmacSecret()).rejects.toMatchObject({ name: 'SecretUnavailable' });
  });
});
