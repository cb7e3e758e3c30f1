import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../../lib/api/app';
import { signGithub, signHmac } from '../../../lib/api/sign';
import { GITHUB_SECRET, HMAC_SECRET, httpEvent, NOW, PIPELINE_ARN, SECURITY_HEADERS, setup } from './helpers';

const HOOK = '/hooks/pipelines/office-apps/runs';
const nowSeconds = NOW / 1000;

/** A request signed for `opts.signedPath` (default: the path it is sent to, `opts.path` ?? HOOK). */
const signed = (
  body: string,
  opts: {
    secret?: string;
    at?: number;
    headers?: Record<string, string>;
    path?: string;
    signedPath?: string;
  } = {},
) => {
  const path = opts.path ?? HOOK;
  const signature = signHmac(opts.secret ?? HMAC_SECRET, {
    method: 'POST',
    path: opts.signedPath ?? path,
    body,
    timestamp: opts.at ?? nowSeconds,
  });
  return httpEvent('POST', path, { body, headers: { ...signature, ...opts.headers } });
};

describe('API: POST /hooks/pipelines/{name}/runs (HMAC-signed webhook)', () => {
  it('starts the pipeline for a correctly signed request: 202, execution named after the key', async () => {
    const { call, sfnMock } = setup();
    const res = await call(signed('{"idempotencyKey":"ci-42"}'));
    expect(res.statusCode).toBe(202);
    expect(res.json).toMatchObject({
      runId: 'pipeline:office-apps_ci-42',
      started: true,
      pipeline: 'office-apps',
    });
    expect(res.headers?.Location).toBe('/runs/pipeline%3Aoffice-apps_ci-42');
    const calls = sfnMock.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toMatchObject({
      stateMachineArn: PIPELINE_ARN,
      name: 'office-apps_ci-42',
    });
    expect(JSON.parse(calls[0].args[0].input.input!)).toEqual({ pipeline: 'office-apps' });
  });

  it('answers 401 Unauthorized to an unsigned request and starts nothing', async () => {
    const { call, sfnMock } = setup();
    const res = await call(httpEvent('POST', HOOK, { body: '{}' }));
    expect(res.statusCode).toBe(401);
    expect(res.json).toEqual({ error: 'Unauthorized', message: expect.stringContaining('not signed') });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('answers 401 when the timestamp header is missing', async () => {
    const { call } = setup();
    const { 'X-Autopilot-Signature': sig } = signHmac(HMAC_SECRET, {
      method: 'POST',
      path: HOOK,
      body: '{}',
      timestamp: nowSeconds,
    });
    const res = await call(
      httpEvent('POST', HOOK, { body: '{}', headers: { 'X-Autopilot-Signature': sig } }),
    );
    expect(res.statusCode).toBe(401);
  });

  it('answers 401 to an unsigned request while Secrets Manager is down (the secret is not read)', async () => {
    const { call, secretsMock } = setup();
    secretsMock
      .on(GetSecretValueCommand)
      .rejects(Object.assign(new Error('unavailable'), { name: 'InternalServiceError' }));
    const res = await call(httpEvent('POST', HOOK, { body: '{}' }));
    expect(res.statusCode).toBe(401);
    expect(res.json.error).toBe('Unauthorized');
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('refuses a signature made for /hooks/pipelines/office-apps/runs on /hooks/pipelines/payroll/runs (403)', async () => {
    const { call, sfnMock } = setup({ pipelines: ['office-apps', 'payroll'] });
    const res = await call(
      signed('{"idempotencyKey":"ci-1"}', { path: '/hooks/pipelines/payroll/runs', signedPath: HOOK }),
    );
    expect(res.statusCode).toBe(403);
    expect(res.json.error).toBe('InvalidSignature');
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('answers 403 InvalidSignature when signed with another secret', async () => {
    const { call, sfnMock } = setup();
    const res = await call(signed('{}', { secret: 'not-the-secret' }));
    expect(res.statusCode).toBe(403);
    expect(res.json.error).toBe('InvalidSignature');
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('answers 403 InvalidSignature when the body changed after signing', async () => {
    const { call } = setup();
    const event = signed('{"idempotencyKey":"a"}');
    event.body = '{"idempotencyKey":"b"}';
    expect((await call(event)).json.error).toBe('InvalidSignature');
  });

  it('answers 403 InvalidSignature to a malformed signature or timestamp (never a crash)', async () => {
    const { call } = setup();
    for (const headers of [
      { 'X-Autopilot-Timestamp': String(nowSeconds), 'X-Autopilot-Signature': 'sha256=abc' },
      { 'X-Autopilot-Timestamp': String(nowSeconds), 'X-Autopilot-Signature': 'md5=00' },
      { 'X-Autopilot-Timestamp': 'yesterday', 'X-Autopilot-Signature': `sha256=${'0'.repeat(64)}` },
    ]) {
      const res = await call(httpEvent('POST', HOOK, { body: '{}', headers }));
      expect(res.statusCode).toBe(403);
      expect(res.json.error).toBe('InvalidSignature');
    }
  });

  it('answers 403 RequestExpired to a replayed request signed more than 5 minutes ago, or ahead', async () => {
    const { call, sfnMock } = setup();
    for (const at of [nowSeconds - 301, nowSeconds + 301]) {
      const res = await call(signed('{}', { at }));
      expect(res.statusCode).toBe(403);
      expect(res.json).toEqual({ error: 'RequestExpired', message: expect.stringContaining('5 minutes') });
    }
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('accepts a request signed within the window', async () => {
    const { call } = setup();
    expect((await call(signed('{}', { at: nowSeconds - 299 }))).statusCode).toBe(202);
  });

  it('answers 413 PayloadTooLarge to a body over 256 KiB, before looking at the signature', async () => {
    const { call, sfnMock, secretsMock } = setup();
    const big = JSON.stringify({ overrides: { pad: 'x'.repeat(MAX_BODY_BYTES) } });
    const res = await call(httpEvent('POST', HOOK, { body: big }));
    expect(res.statusCode).toBe(413);
    expect(res.json.error).toBe('PayloadTooLarge');
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('measures the size on the decoded bytes of a base64-encoded body', async () => {
    const { call } = setup();
    const body = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);
    const res = await call(httpEvent('POST', HOOK, { body: body.toString('base64'), isBase64Encoded: true }));
    expect(res.statusCode).toBe(413);
  });

  it('verifies the exact bytes of a base64-encoded body (API Gateway encodes non-text bodies)', async () => {
    const { call } = setup();
    const body = '{ "idempotencyKey" : "b64" }';
    const event = signed(body);
    event.body = Buffer.from(body, 'utf8').toString('base64');
    event.isBase64Encoded = true;
    const res = await call(event);
    expect(res.statusCode).toBe(202);
    expect(res.json.runId).toBe('pipeline:office-apps_b64');
  });

  it('answers 400 InvalidJson to a signed body that is not JSON', async () => {
    const { call } = setup();
    const res = await call(signed('{"idempotencyKey":'));
    expect(res.statusCode).toBe(400);
    expect(res.json.error).toBe('InvalidJson');
  });

  it.each([
    ['{"idempotencyKey":"has spaces"}', 'idempotencyKey'],
    ['{"idempotencyKey":"gh_1_2"}', 'idempotencyKey'],
    ['{"pipelineName":"x"}', 'pipelineName'],
  ])('answers 400 InvalidRequest to %s, naming the field %s', async (body, field) => {
    const { call, sfnMock } = setup();
    const res = await call(signed(body));
    expect(res.statusCode).toBe(400);
    expect(res.json.error).toBe('InvalidRequest');
    expect(res.json.message).toContain(field);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it.each([
    ['build commands', { build: { commands: ['net user evil /add'] } }],
    ['sharing', { shareWith: ['210987654321'] }],
    ['an empty object', {}],
  ])('refuses overrides on /hooks (%s): 400 naming overrides, nothing started', async (_what, overrides) => {
    const { call, sfnMock } = setup();
    const res = await call(signed(JSON.stringify({ idempotencyKey: 'ci-9', overrides })));
    expect(res.statusCode).toBe(400);
    expect(res.json.error).toBe('InvalidRequest');
    expect(res.json.message).toMatch(/^body: overrides: not accepted on \/hooks/);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('refuses the Idempotency-Key header on /hooks (the signature does not cover it): 400 naming it', async () => {
    const { call, sfnMock } = setup();
    const res = await call(signed('{}', { headers: { 'Idempotency-Key': 'release-1.2.3' } }));
    expect(res.statusCode).toBe(400);
    expect(res.json).toEqual({
      error: 'InvalidRequest',
      message: expect.stringContaining('Idempotency-Key header: not accepted on /hooks'),
    });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('answers 404 UnknownPipeline for a pipeline the deployment does not have', async () => {
    const { call, sfnMock } = setup();
    const res = await call(signed('{}', { path: '/hooks/pipelines/payroll/runs' }));
    expect(res.statusCode).toBe(404);
    expect(res.json).toEqual({
      error: 'UnknownPipeline',
      message: "no pipeline named 'payroll' in this deployment",
    });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('checks the signature before telling whether a pipeline exists', async () => {
    const { call } = setup();
    const res = await call(httpEvent('POST', '/hooks/pipelines/payroll/runs', { body: '{}' }));
    expect(res.statusCode).toBe(401);
  });

  it('runs once for the same idempotency key twice: the second answers 200 with the same run', async () => {
    const { call, sfnMock } = setup();
    const body = '{"idempotencyKey":"release-1.2.3"}';
    const first = await call(signed(body));
    const second = await call(signed(body, { at: nowSeconds + 10 }));
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(200);
    expect(second.json).toMatchObject({ runId: first.json.runId, started: false, status: 'RUNNING' });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('takes the signature as the key when none is given: an identical request replayed within the window runs once', async () => {
    const { call, sfnMock } = setup();
    const event = signed('{}');
    const first = await call(structuredClone(event));
    const replay = await call(structuredClone(event));
    expect(first.statusCode).toBe(202);
    expect(first.json.runId).toMatch(/^pipeline:office-apps_sig_[0-9a-f]{32}$/);
    expect(replay).toMatchObject({ statusCode: 200, json: { runId: first.json.runId, started: false } });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('sends security headers with every answer, errors included', async () => {
    const { call } = setup();
    for (const event of [signed('{}'), httpEvent('POST', HOOK, { body: '{}' })]) {
      const res = await call(event);
      expect(res.headers).toMatchObject(SECURITY_HEADERS);
      expect(res.headers?.['Content-Type']).toBe('application/json');
      expect(Object.values(res.headers ?? {})).not.toContain(undefined);
      expect(Object.values(res.headers ?? {})).not.toContain('');
    }
  });
});

const GITHUB = '/hooks/github/pipelines/office-apps';
const DELIVERY = '72d3162e-cc78-11e3-81ab-4c9367dc0958';

function github(
  event: string,
  payload: unknown,
  opts: { delivery?: string; secret?: string; form?: boolean } = {},
) {
  const json = JSON.stringify(payload);
  const body = opts.form ? `payload=${encodeURIComponent(json)}` : json;
  return httpEvent('POST', GITHUB, {
    body,
    headers: {
      'content-type': opts.form ? 'application/x-www-form-urlencoded' : 'application/json',
      'x-github-event': event,
      'x-github-delivery': opts.delivery ?? DELIVERY,
      'user-agent': 'GitHub-Hookshot/abc',
      ...signGithub(opts.secret ?? GITHUB_SECRET, body),
    },
  });
}

const REPO_ID = 1296269;
const RELEASE_ID = 1;
const release = (action: string, over: Record<string, unknown> = {}) => ({
  action,
  release: { id: RELEASE_ID, tag_name: 'v1.2.3', name: '1.2.3', draft: false, prerelease: false, ...over },
  repository: { id: REPO_ID, full_name: 'octocat/Hello-World' },
});
const GH_NAME = `office-apps_gh_${REPO_ID}_${RELEASE_ID}`;

describe('API: POST /hooks/github/pipelines/{name} (GitHub webhook)', () => {
  it("answers GitHub's ping with 200 and starts nothing", async () => {
    const { call, sfnMock } = setup();
    const res = await call(github('ping', { zen: 'Keep it logically awesome.', hook_id: 1 }));
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({ ok: true, event: 'ping' });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('starts the pipeline on a published release, named after the signed repository and release ids', async () => {
    const { call, sfnMock } = setup();
    const res = await call(github('release', release('published')));
    expect(res.statusCode).toBe(202);
    expect(res.json).toMatchObject({
      runId: `pipeline:${GH_NAME}`,
      pipeline: 'office-apps',
      release: 'v1.2.3',
      started: true,
    });
    const input = sfnMock.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(input.name).toBe(GH_NAME);
    expect(JSON.parse(input.input!)).toEqual({ pipeline: 'office-apps' });
  });

  it('starts nothing for a GitHub redelivery of the same release with a new delivery id (or none)', async () => {
    const { call, sfnMock } = setup();
    await call(github('release', release('published')));
    const redelivered = await call(
      github('release', release('published'), { delivery: 'a1b2c3d4-0000-11e3-81ab-4c9367dc0958' }),
    );
    expect(redelivered.statusCode).toBe(200);
    expect(redelivered.json).toMatchObject({ runId: `pipeline:${GH_NAME}`, started: false });
    const noDelivery = github('release', release('published'));
    delete noDelivery.headers['x-github-delivery'];
    expect((await call(noDelivery)).json).toMatchObject({ started: false });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('starts another run for another release of the repository', async () => {
    const { call, sfnMock } = setup();
    await call(github('release', release('published')));
    const next = await call(github('release', release('published', { id: 2, tag_name: 'v1.2.4' })));
    expect(next.statusCode).toBe(202);
    expect(next.json.runId).toBe(`pipeline:office-apps_gh_${REPO_ID}_2`);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(2);
  });

  it.each([
    ['pre-release', { prerelease: true }],
    ['draft', { draft: true }],
  ])('ignores a published %s with 200 and starts nothing', async (kind, over) => {
    const { call, sfnMock } = setup();
    const res = await call(github('release', release('published', over)));
    expect(res.statusCode).toBe(200);
    expect(res.json).toMatchObject({
      ignored: true,
      action: 'published',
      release: 'v1.2.3',
      reason: expect.stringMatching(new RegExp(`^${kind}:`)),
    });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it.each(['created', 'edited', 'prereleased', 'deleted'])(
    'ignores a release %s with 200',
    async (action) => {
      const { call, sfnMock } = setup();
      const res = await call(github('release', release(action)));
      expect(res.statusCode).toBe(200);
      expect(res.json).toMatchObject({ ignored: true, action });
      expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
    },
  );

  it('starts one run for a full release, which GitHub announces as both published and released', async () => {
    const { call, sfnMock } = setup();
    const first = await call(github('release', release('published')));
    const second = await call(github('release', release('released')));
    expect([first.json.started, second.json.started]).toEqual([true, false]);
    expect(second.json.runId).toBe(first.json.runId);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('starts a run when a pre-release is promoted to a release (only `released` is sent then)', async () => {
    const { call, sfnMock } = setup();
    expect((await call(github('release', release('published', { prerelease: true })))).json.ignored).toBe(
      true,
    );
    const promoted = await call(github('release', release('released', { prerelease: false })));
    expect(promoted.json.started).toBe(true);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('ignores other events (push) with 200', async () => {
    const { call, sfnMock } = setup();
    const res = await call(github('push', { ref: 'refs/heads/main' }));
    expect(res.statusCode).toBe(200);
    expect(res.json).toMatchObject({ ignored: true, event: 'push' });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('reads a form-encoded delivery (payload=…)', async () => {
    const { call } = setup();
    const res = await call(github('release', release('published'), { form: true }));
    expect(res.statusCode).toBe(202);
  });

  it('answers 401 without X-Hub-Signature-256 and 403 with a wrong one', async () => {
    const { call, sfnMock } = setup();
    const unsigned = github('release', release('published'));
    delete unsigned.headers['X-Hub-Signature-256'];
    expect((await call(unsigned)).statusCode).toBe(401);
    const wrong = await call(github('release', release('published'), { secret: 'nope' }));
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json.error).toBe('InvalidSignature');
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('answers 401 to an unsigned delivery while Secrets Manager is down (the secret is not read)', async () => {
    const { call, secretsMock } = setup();
    secretsMock
      .on(GetSecretValueCommand)
      .rejects(Object.assign(new Error('unavailable'), { name: 'InternalServiceError' }));
    const unsigned = github('release', release('published'));
    delete unsigned.headers['X-Hub-Signature-256'];
    const res = await call(unsigned);
    expect(res.statusCode).toBe(401);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('answers 400 naming repository.id when a published release lacks it', async () => {
    const { call } = setup();
    const res = await call(github('release', { ...release('published'), repository: {} }));
    expect(res.statusCode).toBe(400);
    expect(res.json.message).toContain('repository.id');
  });

  it('answers 400 naming the field of a release payload without one', async () => {
    const { call } = setup();
    const res = await call(github('release', { action: 'published' }));
    expect(res.statusCode).toBe(400);
    expect(res.json.message).toContain('release');
  });
});
