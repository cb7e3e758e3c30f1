/**
 * The deployed API's dependencies (functions/api.ts, functions/hooks.ts), built once per container
 * from the environment serverless.yml sets:
 * - PIPELINE_STATE_MACHINE_ARN, CLEANUP_STATE_MACHINE_ARN: the Standard state machines runs start on
 *   (the fleet schedule is EXPRESS and never started by the API);
 * - WEBHOOK_HMAC_SECRET_ARN, WEBHOOK_GITHUB_SECRET_ARN: the webhook secrets (Secrets Manager);
 * - PIPELINE_NAMES (comma-separated) or PIPELINES_DIR (pipeline definition files bundled with the
 *   function, each one's `name`): the deployment's pipelines; neither: any well-formed name is let
 *   through to the state machine, whose Resolve refuses an unknown one.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { AppStreamClient } from '@aws-sdk/client-appstream';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { systemClock } from '../clock';
import { readPipelineFile } from '../config/load';
import { logger } from '../lambda/logger';
import type { ApiDeps } from './app';
import { SfnRunExecutions } from './executions';
import { AppStreamOverrides } from './overrides';
import { secretsManagerSecrets } from './secrets';

/** One Powertools Metrics for the API functions (namespace appstream-autopilot). */
export const apiMetrics = new Metrics({
  namespace: 'appstream-autopilot',
  serviceName: 'appstream-autopilot',
});

/** The pipeline names the environment declares; undefined when it declares none. */
export function pipelineNamesFrom(env: Record<string, string | undefined>): string[] | undefined {
  if (env.PIPELINE_NAMES)
    return env.PIPELINE_NAMES.split(',')
      .map((n) => n.trim())
      .filter(Boolean);
  if (!env.PIPELINES_DIR) return undefined;
  const dir = env.PIPELINES_DIR.startsWith('/')
    ? env.PIPELINES_DIR
    : join(env.LAMBDA_TASK_ROOT ?? '.', env.PIPELINES_DIR);
  // Not bundled (yet): no list, Resolve refuses an unknown pipeline.
  if (!existsSync(dir)) return undefined;
  const names: string[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => /\.(ya?ml|json)$/i.test(f))
    .sort()) {
    const name = (readPipelineFile(join(dir, file)) as { name?: unknown } | undefined)?.name;
    if (typeof name === 'string') names.push(name);
  }
  return names;
}

let deps: ApiDeps | undefined;

export function apiAwsDeps(env: Record<string, string | undefined> = process.env): ApiDeps {
  if (deps) return deps;
  const region = env.AWS_REGION ?? 'us-east-1';
  const built: ApiDeps = {
    executions: new SfnRunExecutions(new SFNClient({ region }), {
      pipeline: env.PIPELINE_STATE_MACHINE_ARN || undefined,
      cleanup: env.CLEANUP_STATE_MACHINE_ARN || undefined,
    }),
    overrides: new AppStreamOverrides(new AppStreamClient({ region })),
    secrets: secretsManagerSecrets({
      client: new SecretsManagerClient({ region }),
      hmacSecretId: env.WEBHOOK_HMAC_SECRET_ARN || undefined,
      githubSecretId: env.WEBHOOK_GITHUB_SECRET_ARN || undefined,
      clock: systemClock,
    }),
    clock: systemClock,
    metrics: apiMetrics,
    logger,
  };
  // Read once per container (cold start).
  const names = pipelineNamesFrom(env);
  if (names) built.pipelineNames = async () => names;
  deps = built;
  return built;
}
