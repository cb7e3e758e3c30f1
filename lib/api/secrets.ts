/**
 * The webhook secrets (ApiDeps.secrets) from AWS Secrets Manager, cached for a short while so a
 * burst of webhooks costs one GetSecretValue per secret and a rotated secret is picked up within
 * `ttlMs` (default 60 s). Permissions: secretsmanager:GetSecretValue on the two secrets.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { aws } from '../aws/call';
import type { Clock } from '../clock';
import { NamedError } from '../errors';

export interface WebhookSecrets {
  hmacSecret(): Promise<string>;
  githubSecret(): Promise<string>;
}

/** A secret that is missing, empty or binary (a deployment error: 500, logged). */
export class SecretUnavailable extends NamedError {
  constructor(message: string) {
    super('SecretUnavailable', message);
  }
}

export const SECRET_TTL_MS = 60_000;

/**
 * A class (not a closure) so that constructing it reaches no Secrets Manager call: only the
 * functions that verify signatures call GetSecretValue (test/deploy's code-derived action lists).
 */
export class SecretsManagerWebhookSecrets implements WebhookSecrets {
  private readonly cache = new Map<string, { value: Promise<string>; at: number }>();

  constructor(
    private readonly opts: {
      client: SecretsManagerClient;
      hmacSecretId: string | undefined;
      githubSecretId: string | undefined;
      clock: Clock;
      ttlMs?: number;
    },
  ) {}

  hmacSecret(): Promise<string> {
    return this.read('HMAC webhook', this.opts.hmacSecretId);
  }

  githubSecret(): Promise<string> {
    return this.read('GitHub webhook', this.opts.githubSecretId);
  }

  private read(what: string, id: string | undefined): Promise<string> {
    if (!id) return Promise.reject(new SecretUnavailable(`the ${what} secret is not configured`));
    const now = this.opts.clock.now();
    const hit = this.cache.get(id);
    if (hit && now - hit.at < (this.opts.ttlMs ?? SECRET_TTL_MS)) return hit.value;
    const value = aws('GetSecretValue', () =>
      this.opts.client.send(new GetSecretValueCommand({ SecretId: id })),
    ).then((out) => {
      if (!out.SecretString) throw new SecretUnavailable(`the ${what} secret has no string value`);
      return out.SecretString;
    });
    // A failed read is not cached: the next request tries again.
    value.catch(() => {
      if (this.cache.get(id)?.value === value) this.cache.delete(id);
    });
    this.cache.set(id, { value, at: now });
    return value;
  }
}

/** The webhook secrets from Secrets Manager, cached `ttlMs` (default SECRET_TTL_MS). */
export const secretsManagerSecrets = (opts: ConstructorParameters<typeof SecretsManagerWebhookSecrets>[0]) =>
  new SecretsManagerWebhookSecrets(opts);
