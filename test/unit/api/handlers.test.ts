import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ApiResult } from '../../../lib/api/app';
import { signHmac } from '../../../lib/api/sign';
import { HMAC_SECRET, HMAC_SECRET_ARN, httpEvent, NOW, PIPELINE_ARN, setup } from './helpers';

// The deployed handlers build their deps from the environment serverless.yml sets (lib/api/aws.ts);
// every SFN and Secrets Manager client is mocked at the class level.
const sfn = mockClient(SFNClient);
const secrets = mockClient(SecretsManagerClient);
const context = {
  functionName: 'appstream-autopilot-test-hooks',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

beforeAll(() => {
  vi.stubEnv('PIPELINE_STATE_MACHINE_ARN', PIPELINE_ARN);
  vi.stubEnv('WEBHOOK_HMAC_SECRET_ARN', HMAC_SECRET_ARN);
  vi.stubEnv('PIPELINE_NAMES', 'office-apps, payroll');
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  secrets.on(GetSecretValueCommand, { SecretId: HMAC_SECRET_ARN }).resolves({ SecretString: HMAC_SECRET });
  sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no', $metadata: {} }));
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });
});
afterAll(() => {
  vi.unstubAllEnvs();
  sfn.restore();
  secrets.restore();
});

describe('Deployed handlers (functions/hooks.ts, functions/api.ts)', () => {
  it('hooks: verifies with the secret named by WEBHOOK_HMAC_SECRET_ARN and starts PIPELINE_STATE_MACHINE_ARN', async () => {
    const { handler } = await import('../../../functions/hooks');
    const body = '{"idempotencyKey":"deploy-1"}';
    const path = '/hooks/pipelines/payroll/runs';
    const event = httpEvent('POST', path, {
      body,
      headers: signHmac(HMAC_SECRET, { method: 'POST', path, body }),
    });
    const res = (await handler(event, context)) as ApiResult;
    expect(res.statusCode).toBe(202);
    expect(sfn.commandCalls(StartExecutionCommand)[0].args[0].input).toMatchObject({
      stateMachineArn: PIPELINE_ARN,
      name: 'payroll_deploy-1',
    });
  });

  it('hooks: 404 for a pipeline outside PIPELINE_NAMES; no IAM routes', async () => {
    const { handler } = await import('../../../functions/hooks');
    const body = '{}';
    const path = '/hooks/pipelines/nope/runs';
    const unknown = httpEvent('POST', path, {
      body,
      headers: signHmac(HMAC_SECRET, { method: 'POST', path, body }),
    });
    expect(((await handler(unknown, context)) as ApiResult).statusCode).toBe(404);
    const iamRoute = httpEvent('POST', '/pipelines/payroll/runs', { body, iam: true });
    expect(JSON.parse(((await handler(iamRoute, context)) as ApiResult).body as string).error).toBe(
      'RouteNotFound',
    );
  });

  it('api: refuses a request API Gateway did not authenticate with IAM (401), serves one it did', async () => {
    const { handler } = await import('../../../functions/api');
    const anonymous = httpEvent('POST', '/pipelines/payroll/runs', { body: '{}' });
    expect(((await handler(anonymous, context)) as ApiResult).statusCode).toBe(401);
    const signedByIam = httpEvent('POST', '/pipelines/payroll/runs', { body: '{}', iam: true });
    expect(((await handler(signedByIam, context)) as ApiResult).statusCode).toBe(202);
  });
});

describe('API metrics (Powertools)', () => {
  it('counts runs started, runs found again and requests refused', async () => {
    const { call, deps } = setup();
    const addMetric = vi.fn();
    deps.metrics = { addMetric };
    const body = '{"idempotencyKey":"m"}';
    const path = '/hooks/pipelines/office-apps/runs';
    const event = () =>
      httpEvent('POST', path, {
        body,
        headers: signHmac(HMAC_SECRET, { method: 'POST', path, body, timestamp: NOW / 1000 }),
      });
    await call(event());
    await call(event());
    await call(httpEvent('POST', '/hooks/pipelines/office-apps/runs', { body }));
    expect(addMetric.mock.calls.map((c) => c[0])).toEqual([
      'RunsStarted',
      'RunsDeduplicated',
      'RequestsRejected',
    ]);
  });
});

describe('The deployment’s pipelines (lib/api/aws.ts pipelineNamesFrom)', () => {
  it('reads PIPELINE_NAMES (comma-separated), else the names of the files in PIPELINES_DIR', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { pipelineNamesFrom } = await import('../../../lib/api/aws');
    expect(pipelineNamesFrom({ PIPELINE_NAMES: 'a, b,,c' })).toEqual(['a', 'b', 'c']);
    const dir = mkdtempSync(join(tmpdir(), 'pipelines-'));
    writeFileSync(join(dir, 'office.yaml'), 'name: office-apps\nbuilder: {}\n');
    writeFileSync(join(dir, 'payroll.json'), '{"name": "payroll"}');
    writeFileSync(join(dir, 'notes.txt'), 'name: not-a-pipeline');
    expect(pipelineNamesFrom({ PIPELINES_DIR: dir })).toEqual(['office-apps', 'payroll']);
    expect(
      pipelineNamesFrom({ PIPELINES_DIR: 'config/pipelines', LAMBDA_TASK_ROOT: '/nonexistent' }),
    ).toBeUndefined();
    expect(pipelineNamesFrom({})).toBeUndefined();
  });
});
