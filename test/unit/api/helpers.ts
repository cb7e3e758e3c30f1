/**
 * The API under test: createApi over the real AWS adapters (SfnRunExecutions, AppStreamOverrides,
 * secretsManagerSecrets) with aws-sdk-client-mock clients, and API Gateway HTTP API payload 2.0
 * events as API Gateway sends them.
 */
import { AppStreamClient } from '@aws-sdk/client-appstream';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import {
  type ApiDeps,
  type ApiEvent,
  type ApiOptions,
  type ApiResult,
  createApi,
} from '../../../lib/api/app';
import { SfnRunExecutions } from '../../../lib/api/executions';
import { AppStreamOverrides } from '../../../lib/api/overrides';
import { secretsManagerSecrets } from '../../../lib/api/secrets';

export const REGION = 'eu-west-1';
export const PIPELINE_ARN =
  'arn:aws:states:eu-west-1:123456789012:stateMachine:appstream-autopilot-prod-image-pipeline';
export const CLEANUP_ARN =
  'arn:aws:states:eu-west-1:123456789012:stateMachine:appstream-autopilot-prod-builder-cleanup';
export const HMAC_SECRET = 'hmac-secret-for-tests-0123456789';
export const GITHUB_SECRET = 'github-secret-for-tests-9876543210';
export const HMAC_SECRET_ARN =
  'arn:aws:secretsmanager:eu-west-1:123456789012:secret:autopilot-webhook-hmac-AbCdEf';
export const GITHUB_SECRET_ARN =
  'arn:aws:secretsmanager:eu-west-1:123456789012:secret:autopilot-webhook-github-AbCdEf';
/** 2026-11-26T10:00:00Z */
export const NOW = Date.UTC(2026, 10, 26, 10, 0, 0);

export const executionArn = (machine: string, name: string) =>
  `${machine.replace(':stateMachine:', ':execution:')}:${name}`;

const notFound = () => new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} });
export const alreadyExists = () =>
  new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} });

export function setup(
  opts: { pipelines?: string[]; options?: ApiOptions; now?: number } = { pipelines: ['office-apps'] },
) {
  const sfn = new SFNClient({ region: REGION });
  const sfnMock = mockClient(sfn);
  const secretsClient = new SecretsManagerClient({ region: REGION });
  const secretsMock = mockClient(secretsClient);
  const appstream = new AppStreamClient({ region: REGION });
  const appstreamMock = mockClient(appstream);
  const clock = { now: () => opts.now ?? NOW };

  secretsMock
    .on(GetSecretValueCommand, { SecretId: HMAC_SECRET_ARN })
    .resolves({ SecretString: HMAC_SECRET });
  secretsMock
    .on(GetSecretValueCommand, { SecretId: GITHUB_SECRET_ARN })
    .resolves({ SecretString: GITHUB_SECRET });

  // Step Functions as a tiny store: StartExecution with a new name creates the execution (RUNNING),
  // DescribeExecution finds it, the same name again is ExecutionAlreadyExists.
  const started = new Map<string, { name: string; input: string }>();
  sfnMock
    .on(StartExecutionCommand)
    .callsFake(async (input: { stateMachineArn: string; name: string; input: string }) => {
      const arn = executionArn(input.stateMachineArn, input.name);
      if (started.has(arn)) throw alreadyExists();
      started.set(arn, { name: input.name, input: input.input });
      return { executionArn: arn, startDate: new Date(clock.now()) };
    });
  sfnMock.on(DescribeExecutionCommand).callsFake(async ({ executionArn: arn }: { executionArn: string }) => {
    const e = started.get(arn);
    if (!e) throw notFound();
    return {
      executionArn: arn,
      name: e.name,
      status: 'RUNNING',
      startDate: new Date(clock.now()),
      input: e.input,
      stateMachineArn: arn.split(':').slice(0, 7).join(':'),
    };
  });

  sfnMock.on(GetExecutionHistoryCommand).resolves({
    events: [
      {
        id: 3,
        type: 'TaskStateEntered',
        timestamp: new Date(NOW),
        stateEnteredEventDetails: { name: 'Resolve' },
      },
      { id: 2, type: 'ExecutionStarted', timestamp: new Date(NOW) },
    ],
  });

  const deps: ApiDeps = {
    executions: new SfnRunExecutions(sfn, { pipeline: PIPELINE_ARN, cleanup: CLEANUP_ARN }),
    overrides: new AppStreamOverrides(appstream),
    secrets: secretsManagerSecrets({
      client: secretsClient,
      hmacSecretId: HMAC_SECRET_ARN,
      githubSecretId: GITHUB_SECRET_ARN,
      clock,
    }),
    clock,
    logger: { info() {}, warn() {}, error() {} },
  };
  if (opts.pipelines) {
    const names = opts.pipelines;
    deps.pipelineNames = async () => names;
  }
  const api = createApi(deps, opts.options);
  const call = async (event: ApiEvent) => {
    const res = (await api(event, {} as Context)) as ApiResult;
    return { ...res, json: res.body ? JSON.parse(res.body as string) : undefined };
  };
  return { api, call, deps, sfnMock, secretsMock, appstreamMock, started };
}

export interface EventOpts {
  body?: string;
  headers?: Record<string, string>;
  isBase64Encoded?: boolean;
  iam?: boolean;
}

/** An API Gateway HTTP API payload 2.0 event for `method path`. */
export function httpEvent(method: string, path: string, opts: EventOpts = {}): ApiEvent {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers,
    body: opts.body,
    isBase64Encoded: opts.isBase64Encoded ?? false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'vitest' },
      requestId: 'req-1',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: '26/Nov/2026:10:00:00 +0000',
      timeEpoch: NOW,
      ...(opts.iam ? { authorizer: { iam: { userArn: 'arn:aws:iam::123456789012:user/ci' } } } : {}),
    },
  } as ApiEvent;
}

/** Headers every response carries (@middy/http-security-headers, plus no caching). */
export const SECURITY_HEADERS = {
  'Strict-Transport-Security': 'max-age=15552000; includeSubDomains; preload',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};
