import {
  DescribeFleetsCommand,
  ResourceNotFoundException,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-appstream';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { executionNameFor } from '../../../lib/api/app';
import { TAG } from '../../../lib/tags';
import { CLEANUP_ARN, executionArn, httpEvent, NOW, PIPELINE_ARN, SECURITY_HEADERS, setup } from './helpers';

const iam = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  httpEvent(method, path, {
    body: body === undefined ? undefined : JSON.stringify(body),
    headers,
    iam: true,
  });

describe('API: POST /pipelines/{name}/runs (IAM)', () => {
  it('starts the pipeline with {pipeline, overrides} (Resolve’s input) and answers 202 with the run id', async () => {
    const { call, sfnMock } = setup();
    const res = await call(
      iam('POST', '/pipelines/office-apps/runs', { idempotencyKey: 'ci-7', overrides: { note: 'x' } }),
    );
    expect(res.statusCode).toBe(202);
    expect(res.json).toEqual({
      runId: 'pipeline:office-apps_ci-7',
      workflow: 'pipeline',
      started: true,
      statusUrl: '/runs/pipeline%3Aoffice-apps_ci-7',
      pipeline: 'office-apps',
    });
    const input = sfnMock.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(input.stateMachineArn).toBe(PIPELINE_ARN);
    expect(JSON.parse(input.input!)).toEqual({ pipeline: 'office-apps', overrides: { note: 'x' } });
  });

  it('names a run without a key <pipeline>_<UTC time>-<random> (a new run each time)', async () => {
    const { call, sfnMock } = setup();
    await call(iam('POST', '/pipelines/office-apps/runs'));
    await call(iam('POST', '/pipelines/office-apps/runs'));
    const names = sfnMock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name);
    expect(names[0]).toMatch(/^office-apps_20261126T100000Z-[0-9a-f]{8}$/);
    expect(names[1]).not.toBe(names[0]);
  });

  it('takes the Idempotency-Key header: twice gives one execution, the second answers 200 with it', async () => {
    const { call, sfnMock } = setup();
    const first = await call(
      iam('POST', '/pipelines/office-apps/runs', undefined, { 'Idempotency-Key': 'abc' }),
    );
    const second = await call(
      iam('POST', '/pipelines/office-apps/runs', undefined, { 'Idempotency-Key': 'abc' }),
    );
    expect([first.statusCode, second.statusCode]).toEqual([202, 200]);
    expect(second.json).toMatchObject({
      runId: 'pipeline:office-apps_abc',
      started: false,
      status: 'RUNNING',
    });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('takes ExecutionAlreadyExists (a finished run, or another input) as the existing run', async () => {
    const { call, sfnMock, started } = setup();
    // Describe misses it (e.g. a concurrent request started it just now), Start says it exists.
    sfnMock
      .on(StartExecutionCommand)
      .callsFakeOnce(async (input: { stateMachineArn: string; name: string; input: string }) => {
        started.set(executionArn(input.stateMachineArn, input.name), {
          name: input.name,
          input: input.input,
        });
        throw new (await import('@aws-sdk/client-sfn')).ExecutionAlreadyExists({
          message: 'exists',
          $metadata: {},
        });
      });
    const res = await call(iam('POST', '/pipelines/office-apps/runs', { idempotencyKey: 'k1' }));
    expect(res.statusCode).toBe(200);
    expect(res.json).toMatchObject({ runId: 'pipeline:office-apps_k1', started: false });
  });

  it('refuses a header and a body key that differ (400 naming idempotencyKey)', async () => {
    const { call } = setup();
    const res = await call(
      iam('POST', '/pipelines/office-apps/runs', { idempotencyKey: 'a' }, { 'Idempotency-Key': 'b' }),
    );
    expect(res.statusCode).toBe(400);
    expect(res.json.message).toContain('idempotencyKey');
  });

  it('refuses overrides that rename the pipeline (400 naming overrides.name) and starts nothing', async () => {
    const { call, sfnMock } = setup();
    const res = await call(iam('POST', '/pipelines/office-apps/runs', { overrides: { name: 'other' } }));
    expect(res.statusCode).toBe(400);
    expect(res.json.message).toContain('overrides.name');
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('answers 404 UnknownPipeline for a name outside the deployment, or not a pipeline name at all', async () => {
    const { call, sfnMock } = setup();
    for (const name of ['payroll', 'bad_name!'])
      expect((await call(iam('POST', `/pipelines/${encodeURIComponent(name)}/runs`, {}))).json.error).toBe(
        'UnknownPipeline',
      );
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('fails closed with 401 when API Gateway did not authenticate the caller (requireIamCaller)', async () => {
    const { call, sfnMock } = setup({
      pipelines: ['office-apps'],
      options: { routes: 'iam', requireIamCaller: true },
    });
    const res = await call(httpEvent('POST', '/pipelines/office-apps/runs', { body: '{}' }));
    expect(res.statusCode).toBe(401);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect((await call(iam('POST', '/pipelines/office-apps/runs', {}))).statusCode).toBe(202);
  });

  it('serves only its own part: the IAM handler has no hook routes, the hooks handler no IAM routes', async () => {
    const iamOnly = setup({ pipelines: ['office-apps'], options: { routes: 'iam' } });
    const hooksOnly = setup({ pipelines: ['office-apps'], options: { routes: 'hooks' } });
    const hook = await iamOnly.call(httpEvent('POST', '/hooks/pipelines/office-apps/runs', { body: '{}' }));
    expect(hook.statusCode).toBe(404);
    expect(hook.json.error).toBe('RouteNotFound');
    expect((await hooksOnly.call(iam('POST', '/pipelines/office-apps/runs', {}))).statusCode).toBe(404);
  });

  it('answers 503 ServiceUnavailable with Retry-After when Step Functions keeps throttling', async () => {
    const { call, sfnMock } = setup();
    sfnMock
      .on(DescribeExecutionCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const res = await call(iam('POST', '/pipelines/office-apps/runs', { idempotencyKey: 't' }));
    expect(res.statusCode).toBe(503);
    expect(res.headers?.['Retry-After']).toBe('5');
    expect(res.json.error).toBe('ServiceUnavailable');
  });

  it('answers 500 InternalError without the error, its message or a stack trace', async () => {
    const { call, sfnMock } = setup();
    const boom = new Error('AccessDeniedException: secret internals at arn:aws:iam::123456789012:role/x');
    boom.stack = 'Error: secret internals\n    at start (/var/task/index.mjs:1:1)';
    sfnMock.on(DescribeExecutionCommand).rejects(boom);
    const res = await call(iam('POST', '/pipelines/office-apps/runs', {}));
    expect(res.statusCode).toBe(500);
    expect(res.json).toEqual({
      error: 'InternalError',
      message: 'the request failed; the API log has the details',
    });
    expect(res.body).not.toMatch(/internals|\bat \/|stack|arn:/);
    expect(res.headers).toMatchObject(SECURITY_HEADERS);
  });
});

describe('API: GET /runs/{id} (IAM)', () => {
  it('gives a running run its status and current step (the latest StateEntered, newest first)', async () => {
    const { call, sfnMock } = setup();
    await call(iam('POST', '/pipelines/office-apps/runs', { idempotencyKey: 'r1' }));
    sfnMock.on(GetExecutionHistoryCommand).resolves({
      events: [
        { id: 9, type: 'TaskStateExited', timestamp: new Date(NOW) },
        {
          id: 8,
          type: 'WaitStateEntered',
          timestamp: new Date(NOW),
          stateEnteredEventDetails: { name: 'PollBuild' },
        },
        {
          id: 7,
          type: 'TaskStateEntered',
          timestamp: new Date(NOW),
          stateEnteredEventDetails: { name: 'CheckBuild' },
        },
      ],
    });
    const res = await call(iam('GET', '/runs/pipeline%3Aoffice-apps_r1'));
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({
      runId: 'pipeline:office-apps_r1',
      executionId: 'pipeline:office-apps_r1',
      workflow: 'pipeline',
      status: 'RUNNING',
      startedAt: '2026-11-26T10:00:00.000Z',
      currentStep: 'PollBuild',
    });
    const history = sfnMock.commandCalls(GetExecutionHistoryCommand)[0].args[0].input;
    expect(history).toMatchObject({
      reverseOrder: true,
      executionArn: executionArn(PIPELINE_ARN, 'office-apps_r1'),
    });
  });

  it("gives a succeeded pipeline run its image from the execution's output", async () => {
    const { call, sfnMock } = setup();
    sfnMock.on(DescribeExecutionCommand).resolves({
      name: 'office-apps-r2',
      status: 'SUCCEEDED',
      startDate: new Date(NOW),
      stopDate: new Date(NOW + 3_600_000),
      output: JSON.stringify({
        plan: { imageName: 'office-apps-2026-11-26' },
        imageCheck: { arn: 'arn:aws:appstream:eu-west-1:123456789012:image/office-apps-2026-11-26' },
      }),
    });
    const res = await call(iam('GET', '/runs/pipeline:office-apps-r2'));
    expect(res.json).toMatchObject({
      status: 'SUCCEEDED',
      stoppedAt: '2026-11-26T11:00:00.000Z',
      image: 'arn:aws:appstream:eu-west-1:123456789012:image/office-apps-2026-11-26',
    });
  });

  it("gives a failed run its error and message, never the Lambda error's stack trace", async () => {
    const { call, sfnMock } = setup();
    sfnMock.on(DescribeExecutionCommand).resolves({
      name: 'office-apps-r3',
      status: 'FAILED',
      startDate: new Date(NOW),
      stopDate: new Date(NOW + 60_000),
      error: 'BuilderStartTimeout',
      cause: JSON.stringify({
        errorType: 'BuilderStartTimeout',
        errorMessage: 'builder b-1 did not reach RUNNING in 30 minutes',
        trace: ['BuilderStartTimeout: builder b-1', '    at check (/var/task/check-builder.mjs:10:5)'],
      }),
    });
    const res = await call(iam('GET', '/runs/pipeline:office-apps-r3'));
    expect(res.json.error).toBe('BuilderStartTimeout: builder b-1 did not reach RUNNING in 30 minutes');
    expect(res.body).not.toContain('/var/task');
  });

  it('accepts an execution ARN of its own state machines (URL-encoded)', async () => {
    const { call } = setup();
    await call(iam('POST', '/cleanup/runs', { idempotencyKey: 'nightly' }));
    const arn = executionArn(CLEANUP_ARN, 'cleanup_nightly');
    const res = await call(iam('GET', `/runs/${encodeURIComponent(arn)}`));
    expect(res.statusCode).toBe(200);
    expect(res.json).toMatchObject({ runId: 'cleanup:cleanup_nightly', workflow: 'cleanup' });
  });

  it('answers 404 RunNotFound for an unknown run, another account’s ARN or a malformed id', async () => {
    const { call, sfnMock } = setup();
    const foreign = 'arn:aws:states:eu-west-1:999999999999:execution:other:x';
    for (const id of ['pipeline:nope', encodeURIComponent(foreign), 'schedule:x', 'garbage']) {
      const res = await call(iam('GET', `/runs/${id}`));
      expect(res.statusCode, id).toBe(404);
      expect(res.json.error).toBe('RunNotFound');
    }
    // Only the well-formed id of a configured workflow reached Step Functions.
    expect(sfnMock.commandCalls(DescribeExecutionCommand)).toHaveLength(1);
  });
});

describe('API: POST /fleets/{name}/override (IAM)', () => {
  const FLEET_ARN = 'arn:aws:appstream:eu-west-1:123456789012:fleet/office';

  it("sets the fleet's autopilot:override tag to capacity@until", async () => {
    const { call, appstreamMock } = setup();
    appstreamMock
      .on(DescribeFleetsCommand)
      .resolves({ Fleets: [{ Name: 'office', Arn: FLEET_ARN } as never] });
    const res = await call(
      iam('POST', '/fleets/office/override', { capacity: 30, until: '2026-11-26T18:00:00+01:00' }),
    );
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({
      fleet: 'office',
      arn: FLEET_ARN,
      tag: { key: TAG.override, value: '30@2026-11-26T17:00Z' },
    });
    expect(appstreamMock.commandCalls(TagResourceCommand)[0].args[0].input).toEqual({
      ResourceArn: FLEET_ARN,
      Tags: { [TAG.override]: '30@2026-11-26T17:00Z' },
    });
  });

  it('clears it with {"clear": true}', async () => {
    const { call, appstreamMock } = setup();
    appstreamMock
      .on(DescribeFleetsCommand)
      .resolves({ Fleets: [{ Name: 'office', Arn: FLEET_ARN } as never] });
    const res = await call(iam('POST', '/fleets/office/override', { clear: true }));
    expect(res.json).toEqual({ fleet: 'office', arn: FLEET_ARN, cleared: true });
    expect(appstreamMock.commandCalls(UntagResourceCommand)[0].args[0].input.TagKeys).toEqual([TAG.override]);
  });

  it('answers 404 FleetNotFound for a fleet AppStream does not know', async () => {
    const { call, appstreamMock } = setup();
    appstreamMock
      .on(DescribeFleetsCommand)
      .rejects(new ResourceNotFoundException({ message: 'nope', $metadata: {} }));
    const res = await call(
      iam('POST', '/fleets/ghost/override', { capacity: 1, until: '2026-11-27T00:00:00Z' }),
    );
    expect(res.statusCode).toBe(404);
    expect(res.json.error).toBe('FleetNotFound');
    expect(appstreamMock.commandCalls(TagResourceCommand)).toHaveLength(0);
  });

  it.each([
    [{ capacity: -1, until: '2026-11-27T00:00:00Z' }, 'capacity'],
    [{ capacity: 1.5, until: '2026-11-27T00:00:00Z' }, 'capacity'],
    [{ until: '2026-11-27T00:00:00Z' }, 'capacity'],
    [{ capacity: 3 }, 'until'],
    [{ capacity: 3, until: '2026-11-26T09:00:00Z' }, 'until'],
    [{ capacity: 3, until: 'tomorrow' }, 'until'],
    [{ capacity: 3, until: '2026-11-27T00:00' }, 'until'],
    [{ clear: true, capacity: 3 }, 'clear'],
    [{ capacity: 3, until: '2026-11-27T00:00:00Z', zone: 'UTC' }, 'zone'],
  ])('answers 400 to %j naming %s', async (body, field) => {
    const { call, appstreamMock } = setup();
    const res = await call(iam('POST', '/fleets/office/override', body));
    expect(res.statusCode).toBe(400);
    expect(res.json.error).toBe('InvalidRequest');
    expect(res.json.message).toContain(field);
    expect(appstreamMock.commandCalls(TagResourceCommand)).toHaveLength(0);
  });
});

describe('API: POST /cleanup/runs (IAM)', () => {
  it('starts a dry-run sweep with {"dryRun": true}', async () => {
    const { call, sfnMock } = setup();
    const res = await call(iam('POST', '/cleanup/runs', { dryRun: true }));
    expect(res.statusCode).toBe(202);
    expect(res.json.runId).toMatch(/^cleanup:cleanup_20261126T100000Z-[0-9a-f]{8}$/);
    const input = sfnMock.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(input.stateMachineArn).toBe(CLEANUP_ARN);
    expect(JSON.parse(input.input!)).toEqual({ dryRun: true });
  });

  it('starts the bundled policy as it is with no body ({} input)', async () => {
    const { call, sfnMock } = setup();
    await call(iam('POST', '/cleanup/runs'));
    expect(JSON.parse(sfnMock.commandCalls(StartExecutionCommand)[0].args[0].input.input!)).toEqual({});
  });

  it('answers 400 naming dryRun when it is not a boolean', async () => {
    const { call } = setup();
    const res = await call(iam('POST', '/cleanup/runs', { dryRun: 'yes' }));
    expect(res.statusCode).toBe(400);
    expect(res.json.message).toContain('dryRun');
  });
});

describe('API: execution names from idempotency keys', () => {
  it('is <scope>_<key> when that is a valid execution name', () => {
    expect(executionNameFor('office-apps', 'ci-42')).toBe('office-apps_ci-42');
  });

  it('gives office + apps-ci-1 and office-apps + ci-1 different execution names (a scope has no _)', () => {
    const a = executionNameFor('office', 'apps-ci-1');
    const b = executionNameFor('office-apps', 'ci-1');
    expect([a, b]).toEqual(['office_apps-ci-1', 'office-apps_ci-1']);
    // The hashed form keeps them apart too (the hash is over <scope>_<key>).
    const c = executionNameFor('office', 'apps-v1.0');
    const d = executionNameFor('office-apps', 'v1.0');
    expect(c).toMatch(/^office_apps-v1-0_[0-9a-f]{16}$/);
    expect(d).toMatch(/^office-apps_v1-0_[0-9a-f]{16}$/);
    expect(c).not.toBe(d);
  });

  it('keeps keys apart that a name cannot hold as they are (dots, length): readable part + hash', () => {
    const a = executionNameFor('office-apps', 'release-1.2.3');
    const b = executionNameFor('office-apps', 'release-1-2-3');
    expect(a).toMatch(/^office-apps_release-1-2-3_[0-9a-f]{16}$/);
    expect(a).not.toBe(b);
    const long = executionNameFor('a'.repeat(40), 'k'.repeat(128));
    expect(long).toMatch(/^[A-Za-z0-9_-]{80}$/);
    expect(executionNameFor('a'.repeat(40), 'k'.repeat(128))).toBe(long);
  });

  it('refuses keys in the webhooks’ own gh_/sig_ space (400 naming idempotencyKey)', async () => {
    const { call, sfnMock } = setup();
    for (const key of ['gh_1_2', 'sig_00ff']) {
      const res = await call(iam('POST', '/pipelines/office-apps/runs', { idempotencyKey: key }));
      expect(res.statusCode).toBe(400);
      expect(res.json.message).toContain('idempotencyKey');
    }
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});
