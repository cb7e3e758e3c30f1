import { request } from 'node:http';
import { AppStreamClient, DescribeImageBuildersCommand } from '@aws-sdk/client-appstream';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterEach, describe, expect, it } from 'vitest';
import { readServerless } from '../../local/up/schedules';
import { signIamRequest } from '../../local/up/sigv4';
import { autopilot } from '../helpers/cli';
import { spawnLocalUp } from './local-process';

const SECRET = 'local-up-test-secret';
let running: ReturnType<typeof spawnLocalUp> | undefined;
afterEach(async () => {
  if (running && running.child.exitCode === null) {
    running.child.kill('SIGKILL');
    await running.exited;
  }
  running = undefined;
});

/** A value printed after `label` on its own line of the text output. */
const printed = async (up: ReturnType<typeof spawnLocalUp>, label: string) =>
  (await up.line((l) => l.trimStart().startsWith(label))).trim().slice(label.length).trim();

const refused = (url: string) =>
  new Promise<boolean>((resolve) => {
    request(url, (res) => {
      res.resume();
      resolve(false);
    })
      .on('error', () => resolve(true))
      .end();
  });

/** Each CLI call starts node + tsx (seconds on a busy machine): room for several per test. */
const CLI_TIMEOUT_MS = 120_000;

describe('CLI: autopilot local up', () => {
  it(
    'prints its endpoints, serves the emulator to the AWS SDK and the API with SigV4 on its IAM routes, and stops on SIGTERM',
    async () => {
      running = spawnLocalUp([
        '--port',
        '0',
        '--api-port',
        '0',
        '--no-schedules',
        '--secret-access-key',
        SECRET,
      ]);
      const up = running;
      await up.line((l) => l.startsWith('Ready.'));
      const endpoint = await printed(up, 'AppStream/EC2/STS endpoint');
      const apiUrl = await printed(up, 'Webhook API');
      const hmacSecret = await printed(up, 'HMAC secret');
      expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(hmacSecret.length).toBeGreaterThanOrEqual(16);
      expect(up.lines).toContain(`    aws appstream describe-image-builders --endpoint-url ${endpoint}`);
      expect(up.lines).toContain(
        `    export AWS_ACCESS_KEY_ID=123456789012 AWS_SECRET_ACCESS_KEY=${SECRET} AWS_REGION=us-east-1`,
      );

      // The AWS SDK sees the emulator (AppStream, and STS on the same port).
      const credentials = { accessKeyId: '123456789012', secretAccessKey: SECRET };
      const appstream = new AppStreamClient({ endpoint, region: 'us-east-1', credentials });
      const sts = new STSClient({ endpoint, region: 'us-east-1', credentials });
      expect((await appstream.send(new DescribeImageBuildersCommand({}))).ImageBuilders).toEqual([]);
      expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe('123456789012');
      appstream.destroy();
      sts.destroy();

      // GET /runs/{id}: signed with the printed keys → the API's answer (404: no such run).
      const url = `${apiUrl}/runs/pipeline%3Anot-a-run`;
      const get = async (headers: Record<string, string>) => {
        const res = await fetch(url, { headers });
        return { status: res.status, body: (await res.json()) as { error: string; message: string } };
      };
      const signed = (
        accessKeyId: string,
        secretAccessKey: string,
        extra: Partial<Parameters<typeof signIamRequest>[0]> = {},
      ) => signIamRequest({ url, method: 'GET', accessKeyId, secretAccessKey, ...extra });
      const ok = await get(await signed('123456789012', SECRET));
      expect(ok).toEqual({
        status: 404,
        body: { error: 'RunNotFound', message: "no run 'pipeline:not-a-run'" },
      });
      // Unsigned, wrongly signed, or signed by another account: API Gateway's 403s, the API never called.
      expect(await get({})).toEqual({
        status: 403,
        body: { error: 'MissingAuthenticationToken', message: 'Missing Authentication Token' },
      });
      const wrong = await get(await signed('123456789012', 'not-the-secret'));
      expect(wrong.status).toBe(403);
      expect(wrong.body.error).toBe('InvalidSignature');
      expect(wrong.body.message).toMatch(/^The request signature we calculated does not match/);
      const other = await get(await signed('AKIA210987654321USER', SECRET));
      expect(other.status).toBe(403);
      expect(other.body.error).toBe('AccessDenied');
      expect(other.body.message).toMatch(
        /^User: arn:aws:iam::210987654321:user\/user-USER is not authorized to perform: execute-api:Invoke/,
      );
      // Signed for another region than the API's (us-east-1): refused in API Gateway's words.
      const elsewhere = await get(await signed('123456789012', SECRET, { region: 'eu-west-1' }));
      expect(elsewhere).toEqual({
        status: 403,
        body: {
          error: 'InvalidSignature',
          message: "Credential should be scoped to a valid region, not 'eu-west-1'.",
        },
      });
      const temporary = await get(await signed('ASIA123456789012ABCD', SECRET));
      expect(temporary.body.error).toBe('UnrecognizedClient');
      // A signature older than SigV4's 5 minutes is expired.
      const stale = await get(
        await signed('123456789012', SECRET, { signedAt: new Date(Date.now() - 10 * 60_000) }),
      );
      expect(stale.status).toBe(403);
      expect(stale.body.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than/);
      // A route the API doesn't have: API Gateway's 404, before any auth.
      const none = await fetch(`${apiUrl}/nothing/here`);
      expect(none.status).toBe(404);
      expect(await none.json()).toEqual({ message: 'Not Found' });

      up.child.kill('SIGTERM');
      expect(await up.exited).toBe(0);
      expect(await refused(`${endpoint}/_emulator/health`)).toBe(true);
      expect(await refused(`${apiUrl}/runs/x`)).toBe(true);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'with --json, says ready in one JSON line and streams the runs serverless.yml schedules on the virtual clock',
    async () => {
      // 60 virtual seconds a real second: the fleet schedule's cron(0/5 * * * ? *) comes due within 5 s.
      // (Not much faster: a run's real seconds pass × speed on the virtual clock its timeouts use.)
      running = spawnLocalUp(['--port', '0', '--api-port', '0', '--speed', '60', '--json']);
      const up = running;
      const ready = JSON.parse(await up.line((l) => l.includes('"type":"ready"')));
      expect(
        ready.schedules.map((s: { id: string; expression: string; workflow: string }) => [
          s.id,
          s.expression,
          s.workflow,
        ]),
      ).toEqual(
        expect.arrayContaining([
          ['fleetSchedule-1', 'cron(0/5 * * * ? *)', 'schedule'],
          ['builderCleanup-1', 'cron(0/15 * * * ? *)', 'cleanup'],
        ]),
      );
      expect(ready.pipelines).toContain('office-apps');
      // The API it serves has the routes serverless.yml's httpApi events declare, with their auth.
      expect(ready.routes).toEqual(readServerless('serverless.yml').routes);
      expect(ready.routes).toContainEqual({
        method: 'POST',
        path: '/hooks/pipelines/{name}/runs',
        auth: 'NONE',
        function: 'hooks',
      });
      const scheduled = JSON.parse(
        await up.line((l) => l.includes('"type":"scheduled"') && l.includes('fleetSchedule-1')),
      );
      expect(scheduled.executionName).toMatch(/^fleetSchedule-1-\d{8}T\d{4}Z$/);
      const ended = JSON.parse(
        await up.line(
          (l) => l.includes('"type":"ended"') && l.includes(`"runId":"schedule:${scheduled.executionName}"`),
        ),
      );
      expect(ended.status).toBe('SUCCEEDED');
      // Its progress came first, state by state.
      const states = up.lines
        .filter((l) => l.includes('"type":"progress"') && l.includes(scheduled.executionName))
        .map((l) => JSON.parse(l).event)
        .filter((e: { type: string }) => e.type === 'entered')
        .map((e: { state: string }) => e.state);
      expect(states).toEqual(['Evaluate', 'ApplyChanges', 'Report']);
      up.child.kill('SIGINT');
      expect(await up.exited).toBe(0);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'refuses a command line it cannot use with exit code 2',
    async () => {
      const r = await autopilot(['local', 'up', '--speed', '0']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--speed must be a positive number');
    },
    CLI_TIMEOUT_MS,
  );
});
