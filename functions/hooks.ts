import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { type ApiDeps, createHooksApi, HttpApiEventSchema } from '../lib/api/app';
import { apiAwsDeps, apiMetrics } from '../lib/api/aws';
import { logger } from '../lib/lambda/logger';

/**
 * The webhooks API's signed routes (no API Gateway auth: an authorizer never sees the body): the
 * HMAC webhook and GitHub's release webhook, verified here against Secrets Manager's secrets
 * (lib/api/app.ts, lib/api/sign.ts).
 */
export const withDeps = (deps: ApiDeps) => createHooksApi(deps);

export const handler = withDeps(apiAwsDeps()).use(injectLambdaContext(logger)).use(logMetrics(apiMetrics));

/** The event's shape: an HTTP API payload 2.0 request. */
export const schema = HttpApiEventSchema;
