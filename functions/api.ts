import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { type ApiDeps, createIamApi, HttpApiEventSchema } from '../lib/api/app';
import { apiAwsDeps, apiMetrics } from '../lib/api/aws';
import { logger } from '../lib/lambda/logger';

/**
 * The webhooks API's IAM routes (API Gateway HTTP API, `authorizer: aws_iam`): start a pipeline or
 * cleanup run, read a run, set a fleet's temporary override (lib/api/app.ts).
 */
export const withDeps = (deps: ApiDeps) => createIamApi(deps, { requireIamCaller: true });

export const handler = withDeps(apiAwsDeps()).use(injectLambdaContext(logger)).use(logMetrics(apiMetrics));

/** The event's shape: an HTTP API payload 2.0 request. */
export const schema = HttpApiEventSchema;
