import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  JobClaimSchema,
  type JobEnvelope,
  type JobInput,
  JobResultSchema,
  type JobStep,
} from '../../lib/agent/job';
import { LocalJobSigner, signJob } from '../../lib/agent/signer';

/**
 * The real Linux agent (bash) against a fake AppStreamImageAssistant and a fake `aws` that
 * enforces the appstream_machine_role profile and S3's 403-vs-404 rule (fixtures/fake-aws), with
 * the real openssl verifying job signatures. Agent protocol 2: agent/PROTOCOL.md.
 */
const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'agent-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const signer = new LocalJobSigner();
const otherSigner = new LocalJobSigner(generateKeyPairSync('rsa', { modulusLength: 2048 }));
const publicKey = join(root, 'job-signing.pem');
writeFileSync(publicKey, signer.publicKeyPem);

let dir: string;
let bin: string;
let children: ChildProcess[] = [];

// AppStreamImageAssistant stand-in: logs its argv (each argument base64-encoded, a line per call)
// and answers like the real CLI: JSON on stdout, exit 1 for create-image of a name with "taken".
const FAKE_ASSISTANT = `#!/usr/bin/env bash
line=""; for a in "$@"; do line+="$(printf '%s' "$a" | base64 -w0)."; done; echo "$line" >> "$ASSISTANT_LOG"
if [ "$1" = "create-image" ] && [[ "$3" == *taken* ]]; then
  echo '{"status":1,"message":"An image with the given name already exists"}'; exit 1
fi
echo '{"status":0,"message":"Success"}'
`;

beforeEach(() => {
  dir = mkdtempSync(join(root, 't-'));
  bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'AppStreamImageAssistant'), FAKE_ASSISTANT);
  copyFileSync(new URL('./fixtures/fake-aws', import.meta.url), join(bin, 'aws'));
  chmodSync(join(bin, 'AppStreamImageAssistant'), 0o755);
  chmodSync(join(bin, 'aws'), 0o755);
  mkdirSync(join(dir, 's3'));
});
afterEach(() => {
  for (const c of children) {
    try {
      if (c.pid) process.kill(-c.pid, 'SIGKILL'); // the whole group: steps included
    } catch {
      // already gone
    }
  }
  children = [];
});

const store = () => join(dir, 'store');
const builderDir = (base = store()) => join(base, 'b1');
const stateDir = () => join(dir, 'state');

function agentEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: `${bin}:${process.env.PATH}`,
    HOME: dir,
    AppStream_Resource_Type: 'image-builder',
    AppStream_Resource_Name: 'b1',
    AUTOPILOT_CONF: join(dir, 'no-conf'),
    AUTOPILOT_APPSTREAM_VARS: join(dir, 'no-vars.sh'),
    AUTOPILOT_SOURCE: `file://${store()}`,
    AUTOPILOT_PUBLIC_KEY: publicKey,
    AUTOPILOT_STATE_DIR: stateDir(),
    AUTOPILOT_IMAGE_ASSISTANT: 'AppStreamImageAssistant',
    AUTOPILOT_REBOOT_SETTLE_SECONDS: '0',
    AUTOPILOT_BACKOFF_BASE_SECONDS: '0.05',
    AUTOPILOT_BACKOFF_MAX_SECONDS: '0.2',
    AUTOPILOT_POLL_SECONDS: '0',
    ASSISTANT_LOG: join(dir, 'assistant.log'),
    AWS_LOG: join(dir, 'aws.log'),
    S3_ROOT: join(dir, 's3'),
    ...env,
  };
}

async function agent(env: Record<string, string> = {}, args = ['--once']) {
  return run('bash', ['agent/linux/autopilot-agent.sh', ...args], { env: agentEnv(env) });
}

/** The agent as a service would run it: its own process group, so a "reboot" kills it all. */
function startAgent(env: Record<string, string> = {}, args = ['--once']) {
  const child = spawn('bash', ['agent/linux/autopilot-agent.sh', ...args], {
    env: agentEnv(env),
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

/** Waits for a condition the test itself causes (bounded, so a broken agent fails the test). */
async function until(what: string, cond: () => boolean, limitMs = 20_000) {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const step = (id: string, argv: string[], extra: Partial<JobStep> = {}): JobStep => ({
  id,
  kind: 'command',
  argv,
  timeoutSeconds: 30,
  continueOnError: false,
  expectReboot: false,
  ...extra,
});

function job(steps: JobStep[], extra: Partial<JobInput> = {}): JobInput {
  return {
    schemaVersion: 2,
    jobId: 'build-1',
    builderName: 'b1',
    createdAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    heartbeatSeconds: 30,
    leaseSeconds: 180,
    secrets: [],
    steps,
    ...extra,
  } as JobInput;
}

const signed = (j: JobInput, s = signer) => signJob(j as Parameters<typeof signJob>[0], s);

function putDocument(doc: unknown, jobId = 'build-1', base = store(), bom = false) {
  mkdirSync(join(builderDir(base), 'jobs'), { recursive: true });
  writeFileSync(
    join(builderDir(base), 'jobs', `${jobId}.json`),
    `${bom ? '\uFEFF' : ''}${typeof doc === 'string' ? doc : JSON.stringify(doc)}`,
  );
}
const putJob = async (j: JobInput, base = store()) => putDocument(await signed(j), j.jobId, base);

const readResult = (base = store(), id = 'build-1') =>
  JobResultSchema.parse(JSON.parse(readFileSync(join(builderDir(base), 'results', `${id}.json`), 'utf8')));
const readClaim = (base = store(), id = 'build-1') =>
  JobClaimSchema.parse(JSON.parse(readFileSync(join(builderDir(base), 'claims', `${id}.json`), 'utf8')));

const assistantCalls = () =>
  readFileSync(join(dir, 'assistant.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) =>
      l
        .split('.')
        .slice(0, -1)
        .map((a) => Buffer.from(a, 'base64').toString('utf8')),
    );
const awsCalls = () =>
  existsSync(join(dir, 'aws.log'))
    ? readFileSync(join(dir, 'aws.log'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\x1f').slice(0, -1))
    : [];
const apiCalls = () => awsCalls().filter((c) => c[0] !== 'configure');

/** Every file under a directory, as text (to prove a secret is nowhere). */
function allText(path: string): string {
  if (!existsSync(path)) return '';
  if (statSync(path).isFile()) return readFileSync(path, 'utf8');
  return readdirSync(path)
    .map((f) => allText(join(path, f)))
    .join('\n');
}

const TRICKY = [
  'C:\\Program Files\\My App\\app.exe',
  '"quoted arg"',
  "it's $HOME `x` ; rm -rf /",
  '',
  'tab\there',
  'ünïcødé',
];

describe('Linux pull agent (bash): running jobs', () => {
  it('runs a signed job in order with argument arrays intact, claims it and writes a protocol 2 result', async () => {
    await putJob(
      job([
        step('command-1', ['printf', '%s|', ...TRICKY]),
        {
          id: 'add-application-x',
          kind: 'image-assistant',
          argv: [
            'add-application',
            '--name',
            'x',
            '--absolute-app-path',
            TRICKY[0],
            '--launch-parameters',
            TRICKY[1],
          ],
        },
        { id: 'create-image', kind: 'image-assistant', argv: ['create-image', '--name', 'img-1'] },
      ]),
    );
    await agent();
    const result = readResult();
    expect(result).toMatchObject({
      schemaVersion: 2,
      jobId: 'build-1',
      builderName: 'b1',
      agentVersion: '2.0.0',
    });
    expect(result.status).toBe('succeeded');
    expect(result.steps.map((s) => [s.id, s.exitCode])).toEqual([
      ['command-1', 0],
      ['add-application-x', 0],
      ['create-image', 0],
    ]);
    expect(result.steps[0].stdout).toBe(`${TRICKY.join('|')}|`);
    expect(JSON.parse(result.steps[2].stdout)).toEqual({ status: 0, message: 'Success' });
    expect(assistantCalls()).toEqual([
      ['add-application', '--name', 'x', '--absolute-app-path', TRICKY[0], '--launch-parameters', TRICKY[1]],
      ['create-image', '--name', 'img-1'],
    ]);
    expect(readClaim()).toMatchObject({
      jobId: 'build-1',
      builderName: 'b1',
      currentStep: null,
      completedSteps: ['command-1', 'add-application-x', 'create-image'],
    });
  });

  it('passes every shared quoting case (agent/testdata/quoting-cases.json) to the program unchanged', async () => {
    const { cases } = JSON.parse(readFileSync('agent/testdata/quoting-cases.json', 'utf8')) as {
      cases: { name: string; argv: string[] }[];
    };
    // One step receives every case's arguments, one after the other; it prints each one base64-encoded.
    const print = 'for a; do printf "%s" "$a" | base64 -w0; echo; done';
    await putJob(job([step('cases', ['sh', '-c', print, 'sh', ...cases.flatMap((c) => c.argv)])]));
    await agent();
    const result = readResult();
    expect(result.status).toBe('succeeded');
    const received = result.steps[0].stdout
      .split('\n')
      .slice(0, -1)
      .map((l) => Buffer.from(l, 'base64').toString('utf8'));
    const perCase: string[][] = [];
    let at = 0;
    for (const c of cases) {
      perCase.push(received.slice(at, at + c.argv.length));
      at += c.argv.length;
    }
    expect(perCase).toEqual(cases.map((c) => c.argv));
    expect(at).toBe(received.length);
  });

  it('stops at the first failing step, but not at a continueOnError one', async () => {
    await putJob(
      job([
        step('remove', ['false'], { continueOnError: true }),
        { id: 'create-image', kind: 'image-assistant', argv: ['create-image', '--name', 'taken-name'] },
        step('never', ['touch', join(dir, 'never-ran')]),
      ]),
    );
    await agent();
    const result = readResult();
    expect(result.status).toBe('failed');
    expect(result.steps.map((s) => [s.id, s.exitCode])).toEqual([
      ['remove', 1],
      ['create-image', 1],
    ]);
    expect(JSON.parse(result.steps[1].stdout).message).toContain('already exists');
    expect(existsSync(join(dir, 'never-ran'))).toBe(false);
  });

  it('kills a step that runs past its timeout', async () => {
    await putJob(job([step('slow', ['sleep', '30'], { timeoutSeconds: 1 })]));
    await agent();
    expect(readResult().steps[0].exitCode).toBe(124);
  });

  it('runs a job once: a second pass finds it done', async () => {
    await putJob(job([step('c', ['sh', '-c', `echo ran >> ${join(dir, 'count')}`])]));
    await agent();
    await agent();
    expect(readFileSync(join(dir, 'count'), 'utf8')).toBe('ran\n');
  });

  it('never runs a job another agent has claimed', async () => {
    await putJob(job([step('c', ['touch', join(dir, 'ran')])]));
    mkdirSync(join(builderDir(), 'claims'), { recursive: true });
    writeFileSync(join(builderDir(), 'claims', 'build-1.json'), '{}');
    await agent();
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });

  it('reads a job document that starts with a UTF-8 BOM', async () => {
    putDocument(await signed(job([step('c', ['true'])])), 'build-1', store(), true);
    await agent();
    expect(readResult().status).toBe('succeeded');
  });
});

describe('Linux pull agent (bash): refusing jobs it must not run', () => {
  const marker = () => join(dir, 'ran');
  const cases: [string, () => Promise<unknown>, string][] = [
    [
      'an unsigned job',
      async () => {
        const { signature: _, ...rest } = await signed(job([step('c', ['touch', marker()])]));
        return { ...rest, signature: '' };
      },
      'unsigned:',
    ],
    [
      'a tampered job (payload changed after signing)',
      async () => {
        const env = await signed(job([step('c', ['true'])]));
        const payload = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
        payload.steps[0].argv = ['touch', marker()];
        return {
          ...env,
          payload: Buffer.from(JSON.stringify(payload)).toString('base64'),
        } satisfies JobEnvelope;
      },
      'bad-signature:',
    ],
    [
      'a job signed with another key',
      () => signed(job([step('c', ['touch', marker()])]), otherSigner),
      'bad-signature:',
    ],
    [
      'an expired job',
      () =>
        signed(
          job([step('c', ['touch', marker()])], { expiresAt: new Date(Date.now() - 1000).toISOString() }),
        ),
      'expired:',
    ],
    [
      "another builder's job",
      () => signed(job([step('c', ['touch', marker()])], { builderName: 'b2' })),
      "foreign-builder: the job is for image builder 'b2', not 'b1'",
    ],
    [
      'a protocol 1 job',
      async () => ({
        schemaVersion: 1,
        jobId: 'build-1',
        builderName: 'b1',
        createdAt: new Date().toISOString(),
        steps: [step('c', ['touch', marker()])],
      }),
      'unknown-schema: job schemaVersion 1',
    ],
  ];

  it.each(cases)('refuses %s, says why in a result, and runs nothing', async (_, make, reason) => {
    putDocument(await make());
    await agent();
    const result = readResult();
    expect(result.status).toBe('refused');
    expect(result.reason).toContain(reason);
    expect(result.steps).toEqual([]);
    expect(existsSync(marker())).toBe(false);
    expect(existsSync(join(builderDir(), 'claims', 'build-1.json'))).toBe(false);
  });
});

describe('Linux pull agent (bash): shared envelope cases (agent/testdata/envelope-cases.json)', () => {
  it('runs the valid jobs and refuses each other one with its reason code', async () => {
    const data = JSON.parse(readFileSync('agent/testdata/envelope-cases.json', 'utf8')) as {
      publicKeyPem: string;
      cases: { name: string; jobId: string; document: string; expect: string }[];
    };
    const key = join(dir, 'cases.pem');
    writeFileSync(key, data.publicKeyPem);
    for (const c of data.cases) putDocument(c.document, c.jobId);
    await agent({ AUTOPILOT_PUBLIC_KEY: key });
    const outcomes = data.cases.map((c) => {
      const r = readResult(store(), c.jobId);
      return [c.name, r.status === 'refused' ? r.reason!.split(':')[0] : r.status];
    });
    expect(outcomes).toEqual(data.cases.map((c) => [c.name, c.expect === 'ok' ? 'succeeded' : c.expect]));
  });
});

describe('the fake aws enforces what AWS does', () => {
  const fake = (args: string[], env: Record<string, string>) =>
    run(join(bin, 'aws'), args, { env: agentEnv(env) }).then(
      (r) => ({ code: 0, stderr: r.stderr }),
      (e) => ({ code: e.code as number, stderr: e.stderr as string }),
    );
  const get = ['s3api', 'get-object', '--bucket', 'b', '--key', 'p/b1/results/x.json', '/dev/null'];
  const role = ['--profile', 'appstream_machine_role'];

  it('answers a missing key with 403 AccessDenied without s3:ListBucket, 404 NoSuchKey with it', async () => {
    expect((await fake([...get, ...role], { FAKE_PROFILE: '1' })).stderr).toContain('(AccessDenied)');
    expect((await fake([...get, ...role], { FAKE_PROFILE: '1', FAKE_S3_LIST: '1' })).stderr).toContain(
      '(NoSuchKey)',
    );
  });

  it('denies calls without the appstream_machine_role profile when the builder has it, and an absent profile', async () => {
    expect((await fake(get, { FAKE_PROFILE: '1', FAKE_S3_LIST: '1' })).stderr).toContain('(AccessDenied)');
    const absent = await fake([...get, ...role], { FAKE_S3_LIST: '1' });
    expect(absent).toMatchObject({ code: 255 });
    expect(absent.stderr).toContain('The config profile (appstream_machine_role) could not be found');
  });

  it("lets the builder's role write claims/ and results/, never jobs/", async () => {
    writeFileSync(join(dir, 'doc.json'), '{}');
    const put = (key: string) =>
      fake(['s3api', 'put-object', '--bucket', 'b', '--key', key, '--body', join(dir, 'doc.json'), ...role], {
        FAKE_PROFILE: '1',
      });
    expect((await put('p/b1/results/x.json')).code).toBe(0);
    expect((await put('p/b1/jobs/x.json')).stderr).toContain('(AccessDenied)');
  });
});

describe('Linux pull agent (bash): on an AppStream builder', () => {
  const s3Job = async () => {
    const base = join(dir, 's3', 'agent-bucket', 'autopilot-agent');
    await putJob(
      job([{ id: 'create-image', kind: 'image-assistant', argv: ['create-image', '--name', 'img'] }]),
      base,
    );
    return base;
  };
  const s3 = { AUTOPILOT_SOURCE: 's3://agent-bucket/autopilot-agent', FAKE_S3_LIST: '1' };

  it('uses the appstream_machine_role profile for every AWS call when the builder has it', async () => {
    const base = await s3Job();
    await agent({ ...s3, FAKE_PROFILE: '1' });
    expect(readResult(base).status).toBe('succeeded');
    expect(apiCalls().length).toBeGreaterThan(0);
    for (const call of apiCalls()) expect(call.join(' ')).toContain('--profile appstream_machine_role');
  });

  it('falls back to the default credential chain only when the profile is absent', async () => {
    const base = await s3Job();
    await agent(s3);
    expect(readResult(base).status).toBe('succeeded');
    expect(apiCalls().length).toBeGreaterThan(0);
    for (const call of apiCalls()) expect(call).not.toContain('--profile');
  });

  it('without s3:ListBucket (S3 answers 403, not 404) it keeps retrying with backoff and runs nothing', async () => {
    const base = await s3Job();
    const out = await agent({ ...s3, FAKE_S3_LIST: '0', FAKE_PROFILE: '1' }, ['--polls', '3']).catch(
      (e) => e,
    );
    expect(out.stderr).toContain('s3:ListBucket');
    expect(out.stderr).toContain('poll failed (3 in a row)');
    expect(existsSync(join(base, 'b1', 'results'))).toBe(false);
    expect(assistantCalls).toThrow(); // the Image Assistant never ran
  });

  it('keeps polling through errors (network not up yet) and then runs the job', async () => {
    const base = await s3Job();
    const out = await agent({ ...s3, FAKE_PROFILE: '1', FAKE_FAIL_FIRST: '3' }, ['--polls', '5']);
    expect(out.stderr).toContain('poll failed (1 in a row); retrying in');
    expect(out.stderr).toContain('poll failed (3 in a row)');
    expect(readResult(base).status).toBe('succeeded');
  });

  it('delivers a result whose upload failed at the next poll, without running the job again', async () => {
    const base = join(dir, 's3', 'agent-bucket', 'autopilot-agent');
    await putJob(job([step('c', ['sh', '-c', `echo ran >> ${join(dir, 'count')}`])]), base);
    const out = await agent({ ...s3, FAKE_PROFILE: '1', FAKE_FAIL_PUT_RESULTS: '1' }, ['--polls', '2']);
    expect(out.stderr).toContain('result not delivered yet');
    expect(readResult(base).status).toBe('succeeded');
    expect(readFileSync(join(dir, 'count'), 'utf8')).toBe('ran\n');
  });

  it.each(['imagebuilder', 'image-builder'])(
    'sources /etc/profile.d/appstream_system_vars.sh (a systemd service does not inherit it) and accepts "%s"',
    async (type) => {
      const vars = join(dir, 'appstream_system_vars.sh');
      writeFileSync(vars, `export AppStream_Resource_Type=${type}\nexport AppStream_Resource_Name=b1\n`);
      await putJob(job([step('c', ['true'])]));
      await agent({
        AUTOPILOT_APPSTREAM_VARS: vars,
        AppStream_Resource_Type: '',
        AppStream_Resource_Name: '',
      });
      expect(readResult().status).toBe('succeeded');
    },
  );

  it('waits at boot for the AppStream variables instead of exiting', async () => {
    const vars = join(dir, 'appstream_system_vars.sh');
    await putJob(job([step('c', ['true'])]));
    const a = startAgent({
      AUTOPILOT_APPSTREAM_VARS: vars,
      AppStream_Resource_Type: '',
      AppStream_Resource_Name: '',
    });
    await until('the agent to wait for the variables', () =>
      a.stderr().includes('waiting for the AppStream environment'),
    );
    writeFileSync(vars, 'export AppStream_Resource_Type=imagebuilder AppStream_Resource_Name=b1\n');
    expect(await a.exited).toBe(0);
    expect(readResult().status).toBe('succeeded');
  });

  it('does nothing on a fleet instance built from the image', async () => {
    await putJob(job([step('c', ['true'])]));
    const out = await agent({ AppStream_Resource_Type: 'fleet' });
    expect(out.stderr).toContain('not an image builder');
    expect(() => readResult()).toThrow();
  });
});

describe('Linux pull agent (bash): leases, reboots and secrets', () => {
  it('renews its claim (heartbeat) while a long step runs', async () => {
    const claim = join(builderDir(), 'claims', 'build-1.json');
    // The step itself waits until the claim is rewritten, then prints what it sees.
    const waitForHeartbeat =
      'first=$(cat "$1"); i=0; while [ "$(cat "$1")" = "$first" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; cat "$1"';
    await putJob(job([step('long', ['sh', '-c', waitForHeartbeat, 'sh', claim])], { heartbeatSeconds: 1 }));
    await agent();
    const result = readResult();
    expect(result.status).toBe('succeeded');
    const seen = JobClaimSchema.parse(JSON.parse(result.steps[0].stdout));
    expect(seen.currentStep).toBe('long');
    expect(Date.parse(seen.heartbeatAt)).toBeGreaterThan(Date.parse(seen.claimedAt));
  });

  it('resumes a job after a reboot during an expectReboot step, and continues with the next step', async () => {
    const rebooting = join(dir, 'rebooting');
    await putJob(
      job([
        step('before', ['touch', join(dir, 'before')]),
        step('installer', ['sh', '-c', `touch ${rebooting}; sleep 60`], { expectReboot: true }),
        step('after', ['touch', join(dir, 'after')]),
      ]),
    );
    const first = startAgent();
    await until('the installer step', () => existsSync(rebooting));
    const claim = readClaim();
    expect(claim.currentStep).toBe('installer');
    expect(claim.completedSteps).toEqual(['before']);
    expect(Date.parse(claim.rebootExpectedUntil!)).toBeGreaterThan(Date.now() + 10 * 60_000);
    process.kill(-first.child.pid!, 'SIGKILL'); // the reboot
    await first.exited;

    await agent();
    const result = readResult();
    expect(result.status).toBe('succeeded');
    expect(result.steps.map((s) => [s.id, s.exitCode, s.resumedAfterReboot ?? false])).toEqual([
      ['before', 0, false],
      ['installer', 0, true],
      ['after', 0, false],
    ]);
    expect(existsSync(join(dir, 'after'))).toBe(true);
    expect(readClaim().rebootExpectedUntil ?? null).toBeNull();
  });

  it('fails a job whose builder rebooted during a step that did not expect it', async () => {
    const started = join(dir, 'started');
    await putJob(job([step('build', ['sh', '-c', `touch ${started}; sleep 60`]), step('after', ['true'])]));
    const first = startAgent();
    await until('the step', () => existsSync(started));
    process.kill(-first.child.pid!, 'SIGKILL');
    await first.exited;

    await agent();
    const result = readResult();
    expect(result.status).toBe('failed');
    expect(result.reason).toContain('the builder rebooted during step build');
    expect(result.steps.map((s) => s.id)).toEqual(['build']);
  });

  it('resolves {{secret:NAME}} on the builder with the machine role and redacts it everywhere', async () => {
    const value = 'Lic-9f3 "quoted" & $dollar';
    const dbPassword = 's3cr3t-DB-p@ss';
    const base = join(dir, 's3', 'agent-bucket', 'autopilot-agent');
    const seen = join(dir, 'seen');
    await putJob(
      job(
        [
          step('install', [
            'sh',
            '-c',
            'printf "%s" "$1" > "$2"; echo "licence=$1 ok"; echo "db=$3" >&2',
            'sh',
            '--key={{secret:LICENSE_KEY}}',
            seen,
            '{{secret:DB_PASSWORD}}',
          ]),
        ],
        {
          secrets: [
            { name: 'LICENSE_KEY', source: 'ssm', ref: '/autopilot/license' },
            { name: 'DB_PASSWORD', source: 'secretsmanager', ref: 'prod/db' },
          ],
        },
      ),
      base,
    );
    const out = await agent({
      AUTOPILOT_SOURCE: 's3://agent-bucket/autopilot-agent',
      FAKE_S3_LIST: '1',
      FAKE_PROFILE: '1',
      FAKE_SECRETS: JSON.stringify({ 'ssm:/autopilot/license': value, 'secretsmanager:prod/db': dbPassword }),
    });
    expect(readFileSync(seen, 'utf8')).toBe(`--key=${value}`); // the program got the real value
    const result = readResult(base);
    expect(result.status).toBe('succeeded');
    expect(result.steps[0].stdout).toBe('licence=--key=*** ok\n');
    expect(result.steps[0].stderr).toBe('db=***\n');
    const everything = [
      allText(join(dir, 's3')),
      allText(stateDir()),
      allText(join(dir, 'aws.log')),
      out.stderr,
      out.stdout,
    ].join('\n');
    expect(everything).not.toContain(value);
    expect(everything).not.toContain(dbPassword);
    const ssm = apiCalls().find((c) => c[0] === 'ssm')!;
    expect(ssm).toEqual(
      expect.arrayContaining(['get-parameter', '--with-decryption', '--profile', 'appstream_machine_role']),
    );
  });

  it('fails the step (not the agent) when a secret cannot be resolved', async () => {
    await putJob(
      job([step('install', ['echo', '{{secret:MISSING}}'])], {
        secrets: [{ name: 'MISSING', source: 'ssm', ref: '/nope' }],
      }),
    );
    await agent({ FAKE_PROFILE: '1' });
    const result = readResult();
    expect(result.status).toBe('failed');
    expect(result.steps[0].stderr).toContain('secret MISSING (ssm /nope)');
    expect(result.steps[0].stderr).toContain('ParameterNotFound');
  });
});
