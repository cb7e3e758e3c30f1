import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppStreamClient,
  CreateImageBuilderCommand,
  DescribeImagesCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-appstream';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../emulator';
import { signHmac } from '../../lib/api/sign';
import { TAG } from '../../lib/tags';
import { type LocalUp, startLocalUp } from '../../local/up';
import { signIamRequest } from '../../local/up/sigv4';

const HMAC_SECRET = 'e2e-webhook-secret';
const KEY_SECRET = 'e2e-access-key-secret';
let up: LocalUp | undefined;
let emu: RunningEmulator | undefined;
afterEach(async () => {
  await up?.stop();
  await emu?.stop();
  up = undefined;
  emu = undefined;
});

const start = (endpointUrl?: string) =>
  startLocalUp({
    port: 0,
    apiPort: 0,
    noSchedules: true,
    hmacSecret: HMAC_SECRET,
    secretAccessKey: KEY_SECRET,
    endpointUrl,
  });

/**
 * What `curl -X POST -H 'X-Autopilot-Timestamp: …' -H 'X-Autopilot-Signature: sha256=…' -d @body` sends
 * (the signature covers `<timestamp>.POST.<path>.<body>`, README "Webhooks API").
 */
async function hook(
  local: LocalUp,
  pipeline: string,
  body: string,
  secret = HMAC_SECRET,
  signedFor = pipeline,
) {
  const path = `/hooks/pipelines/${pipeline}/runs`;
  const signature = signHmac(secret, { method: 'POST', path: `/hooks/pipelines/${signedFor}/runs`, body });
  const res = await fetch(`${local.apiUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signature },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** GET /runs/{id}, SigV4-signed with the local keys. */
async function run(local: LocalUp, id: string) {
  const url = `${local.apiUrl}/runs/${encodeURIComponent(id)}`;
  const headers = await signIamRequest({
    url,
    method: 'GET',
    accessKeyId: local.accessKeyId,
    secretAccessKey: local.secretAccessKey,
  });
  const res = await fetch(url, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const pipelineRuns = (local: LocalUp) => local.executions.list().filter((e) => e.workflow === 'pipeline');

describe('local up: a signed webhook starts a pipeline that completes against the emulator', () => {
  it('runs once per idempotency key, answers the run by id, and starts nothing for a bad signature', async () => {
    up = await start();
    const body = JSON.stringify({ idempotencyKey: 'ci-build-42' });

    const first = await hook(up, 'office-apps', body);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({
      runId: 'pipeline:office-apps_ci-build-42',
      started: true,
      pipeline: 'office-apps',
    });
    // The same key again (a retried webhook, signed anew): the same execution, not a second run.
    const again = await hook(up, 'office-apps', body);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ runId: 'pipeline:office-apps_ci-build-42', started: false });
    // A wrong secret is refused and starts nothing.
    const forged = await hook(
      up,
      'office-apps',
      JSON.stringify({ idempotencyKey: 'forged' }),
      'not-the-secret',
    );
    expect(forged.status).toBe(403);
    expect(forged.body.error).toBe('InvalidSignature');
    // A signature made for another pipeline's path is refused too (the path is signed).
    const moved = await hook(
      up,
      'office-apps',
      JSON.stringify({ idempotencyKey: 'moved' }),
      HMAC_SECRET,
      'other',
    );
    expect(moved).toMatchObject({ status: 403, body: { error: 'InvalidSignature' } });
    expect(pipelineRuns(up).map((e) => e.executionId)).toEqual(['pipeline:office-apps_ci-build-42']);

    await up.executions.settled('pipeline:office-apps_ci-build-42');
    const done = await run(up, 'pipeline:office-apps_ci-build-42');
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      runId: 'pipeline:office-apps_ci-build-42',
      workflow: 'pipeline',
      status: 'SUCCEEDED',
      currentStep: 'Succeeded',
    });
    expect(done.body.image).toMatch(/^arn:aws:appstream:us-east-1:123456789012:image\/office-apps-/);
    // The image is there for any AWS client pointed at the emulator.
    const appstream = new AppStreamClient({
      endpoint: up.emulatorEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: up.accessKeyId, secretAccessKey: up.secretAccessKey },
    });
    const name = String(done.body.image).split('/').pop();
    const images = await appstream.send(new DescribeImagesCommand({ Names: [name!] }));
    expect(images.Images?.[0]?.State).toBe('AVAILABLE');
    appstream.destroy();
    expect(pipelineRuns(up)).toHaveLength(1);
  });

  it('a cleanup run under local up knows the pipeline runs: a finished run no longer owns its builder', async () => {
    up = await start();
    await up.executions.start('pipeline', 'owned-1', { pipeline: 'office-apps' });
    await up.executions.settled('pipeline:owned-1');
    const policy = {
      warnAfter: '2h',
      stopAfter: '4h',
      deleteStoppedAfter: '30d',
      scope: { regions: ['us-east-1'] },
      notify: 'none',
    };
    await up.executions.start('cleanup', 'sweep-1', { dryRun: true, policy });
    await up.executions.settled('cleanup:sweep-1');
    const sweep = up.executions.list().find((e) => e.executionId === 'cleanup:sweep-1');
    expect(sweep?.status).toBe('SUCCEEDED');
    // The run's stopped builder is considered (first sight: marked only), not skipped as owned by a
    // run cleanup can't see (which is what it would be without the pipeline runs: UNKNOWN → skip).
    expect((sweep?.detail as { counts?: Record<string, number> } | undefined)?.counts).toEqual({ none: 1 });
  });

  it('does the same against an emulator that was already up (--endpoint-url)', async () => {
    emu = await startEmulator({ seed: 2 });
    up = await start(emu.endpoint);
    const body = JSON.stringify({ idempotencyKey: 'remote-1' });
    expect((await hook(up, 'office-apps', body)).status).toBe(202);
    expect((await hook(up, 'office-apps', body)).body).toMatchObject({ started: false });
    await up.executions.settled('pipeline:office-apps_remote-1');
    const done = await run(up, 'pipeline:office-apps_remote-1');
    expect(done.body).toMatchObject({ status: 'SUCCEEDED' });
    // The run moved that emulator's virtual clock through its control API (builder launch, snapshot).
    expect(emu.world.now() - Date.parse(String(done.body.startedAt))).toBeGreaterThan(30 * 60_000);
    expect(pipelineRuns(up)).toHaveLength(1);
  });

  it('delivers a console connection to the recorder as it happens (the builder gets its last-connection tag)', async () => {
    up = await start();
    const appstream = new AppStreamClient({
      endpoint: up.emulatorEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: up.accessKeyId, secretAccessKey: up.secretAccessKey },
    });
    const created = await appstream.send(
      new CreateImageBuilderCommand({
        Name: 'console-b1',
        InstanceType: 'stream.standard.medium',
        ImageName: 'AppStream-WinServer2022-10-14-2025',
      }),
    );
    up.emulator!.control.advance(20 * 60_000);
    const connect = await fetch(`${up.controlUrl}/image-builders/connect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'console-b1', userArn: 'arn:aws:iam::123456789012:user/alice' }),
    });
    expect(connect.status).toBe(200);
    // Nobody asks for it (no cleanup run, no call): the logged event reaches the recorder by itself.
    const tagged = async (): Promise<string | undefined> => {
      const out = await appstream.send(
        new ListTagsForResourceCommand({ ResourceArn: created.ImageBuilder!.Arn }),
      );
      return out.Tags?.[TAG.lastConnection];
    };
    // The creation is delivered too (`started@…`); the connection adds a bare time at the front.
    const connected = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z/;
    let tag = await tagged();
    while (!connected.test(tag ?? '')) {
      await new Promise((r) => setTimeout(r, 50));
      tag = await tagged();
    }
    expect(tag).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z started@\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/);
    appstream.destroy();
  });

  it('fires the schedule a pipeline of the pipelines folder declares, on the virtual clock, in its time zone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-up-pipelines-'));
    try {
      // config/pipelines/office-apps.yaml with its schedule enabled, every day at 03:00 Paris time.
      const text = readFileSync('config/pipelines/office-apps.yaml', 'utf8')
        .replace('cron: cron(0 3 ? * SUN *)', 'cron: cron(0 3 * * ? *)')
        .replace('enabled: false', 'enabled: true');
      writeFileSync(join(dir, 'office-apps.yaml'), text);
      up = await startLocalUp({ port: 0, apiPort: 0, pipelinesDir: dir, hmacSecret: HMAC_SECRET });
      const schedule = up.schedules.find((s) => s.id === 'pipeline-office-apps');
      expect(schedule).toMatchObject({
        workflow: 'pipeline',
        expression: 'cron(0 3 * * ? *)',
        timezone: 'Europe/Paris',
        input: { pipeline: 'office-apps' },
      });
      const due = up.scheduler!.next()['pipeline-office-apps']!;
      // 03:00 in Paris is 01:00 or 02:00 UTC (summer or winter time).
      expect([1, 2]).toContain(new Date(due).getUTCHours());
      up.emulator!.control.advance(due - up.emulator!.world.now());
      await up.scheduler!.tick();
      const started = pipelineRuns(up);
      expect(started.map((e) => e.name)).toEqual([
        `pipeline-office-apps-${new Date(due).toISOString().replace(/[-:]/g, '').slice(0, 13)}Z`,
      ]);
      await up.executions.settled(started[0].executionId);
      expect((await up.executions.describe(started[0].executionId))?.status).toBe('SUCCEEDED');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
