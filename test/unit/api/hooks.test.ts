import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../../lib/api/app';
import { signGithub, signHmac } from '../../../lib/api/sign';
import { GITHUB_SECRET, HMAC_SECRET, httpEvent, NOW, PIPELINE_ARN, SECURITY_HEADERS, setup } from './helpers';

const HOOK = '/hooks/pipelines/office-apps/runs';
const nowSeconds = NOW / 1000;

const signed = (
  body: string,
  opts: { secret?: string; at?: number; headers?: Record<string, string> } = {},
) =>
  httpEvent('POST', HOOK, {
    body,
    headers: { ...signHmac(opts.secret ?? HMAC_SECRET, body, opts.at ?? nowSeconds), ...opts.headers },
  });

describe('API: POST /hooks/pipelines/{name}/runs (HMAC-signed webhook)', () => {
  it('starts the pipeline for a correctly signed request: 202, execution named after the key', async () => {
    const { call, sfnMock } = setup();
    const res = await call(signed('{"idempotencyKey":"ci-42"}'));
    expect(res.statusCode).toBe(202);
    expect(res.json).toMatchObject({
      runId: 'pipeline:office-apps-ci-42',
      started: true,
      pipeline: 'office-apps',
    });
    expect(res.headers?.Location).toBe('/runs/pipeline%3Aoffice-apps-ci-42');
    const calls = sfnMock.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toMatchObject({
      stateMachineArn: PIPELINE_ARN,
      name: 'office-apps-ci-42',
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
    const { 'X-Autopilot-Signature': sig } = signHmac(HMAC_SECRET, '{}', nowSeconds);
    const res = await call(
      httpEvent('POST', HOOK, { body: '{}', headers: { 'X-Autopilot-Signature': sig } }),
    );
    expect(res.statusCode).toBe(401);
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
    const body = '{"idempotencyKey":"b64","overrides":{"note":"café"}}';
    const event = signed(body);
    event.body = Buffer.from(body, 'utf8').toString('base64');
    event.isBase64Encoded = true;
    const res = await call(event);
    expect(res.statusCode).toBe(202);
    expect(res.json.runId).toBe('pipeline:office-apps-b64');
  });

  it('answers 400 InvalidJson to a signed body that is not JSON', async () => {
    const { call } = setup();
    const res = await call(signed('{"idempotencyKey":'));
    expect(res.statusCode).toBe(400);
    expect(res.json.error).toBe('InvalidJson');
  });

  it.each([
    ['{"idempotencyKey":"has spaces"}', 'idempotencyKey'],
    ['{"overrides":5}', 'overrides'],
    ['{"pipelineName":"x"}', 'pipelineName'],
    ['{"overrides":{"pipeline":"other"}}', 'overrides.pipeline'],
    ['{"overrides":{"config":{}}}', 'overrides.config'],
  ])('answers 400 InvalidRequest to %s, naming the field %s', async (body, field) => {
    const { call, sfnMock } = setup();
    const res = await call(signed(body));
    expect(res.statusCode).toBe(400);
    expect(res.json.error).toBe('InvalidRequest');
    expect(res.json.message).toContain(field);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('answers 404 UnknownPipeline for a pipeline the deployment does not have', async () => {
    const { call, sfnMock } = setup();
    const body = '{}';
    const res = await call(
      httpEvent('POST', '/hooks/pipelines/payroll/runs', {
        body,
        headers: signHmac(HMAC_SECRET, body, nowSeconds),
      }),
    );
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
    const first = await call(signed('{}', { headers: { 'Idempotency-Key': 'release-1.2.3' } }));
    const second = await call(
      signed('{}', { at: nowSeconds + 10, headers: { 'Idempotency-Key': 'release-1.2.3' } }),
    );
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
    expect(first.json.runId).toMatch(/^pipeline:office-apps-sig-[0-9a-f]{32}$/);
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

const release = (action: string) => ({
  action,
  release: { tag_name: 'v1.2.3', name: '1.2.3' },
  repository: {},
});

describe('API: POST /hooks/github/pipelines/{name} (GitHub webhook)', () => {
  it("answers GitHub's ping with 200 and starts nothing", async () => {
    const { call, sfnMock } = setup();
    const res = await call(github('ping', { zen: 'Keep it logically awesome.', hook_id: 1 }));
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({ ok: true, event: 'ping' });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('starts the pipeline on a published release, named after the delivery id', async () => {
    const { call, sfnMock } = setup();
    const res = await call(github('release', release('published')));
    expect(res.statusCode).toBe(202);
    expect(res.json).toMatchObject({
      runId: `pipeline:office-apps-gh-${DELIVERY}`,
      release: 'v1.2.3',
      started: true,
    });
    const input = sfnMock.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(input.name).toBe(`office-apps-gh-${DELIVERY}`);
    expect(JSON.parse(input.input!)).toEqual({ pipeline: 'office-apps' });
  });

  it('runs once when GitHub redelivers the same delivery', async () => {
    const { call, sfnMock } = setup();
    await call(github('release', release('published')));
    const again = await call(github('release', release('published')));
    expect(again.statusCode).toBe(200);
    expect(again.json.started).toBe(false);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
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

  it('answers 400 naming X-GitHub-Delivery when a release comes without a usable delivery id', async () => {
    const { call } = setup();
    const res = await call(github('release', release('published'), { delivery: 'not a guid!' }));
    expect(res.statusCode).toBe(400);
    expect(res.json.message).toContain('X-GitHub-Delivery');
  });

  it('answers 400 naming the field of a release payload without one', async () => {
    const { call } = setup();
    const res = await call(github('release', { action: 'published' }));
    expect(res.statusCode).toBe(400);
    expect(res.json.message).toContain('release');
  });
});
