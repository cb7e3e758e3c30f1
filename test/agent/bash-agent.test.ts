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
  // Nobody logged on unless a test writes sessions to FAKE_SESSIONS (presence heartbeat).
  copyFileSync(new URL('./fixtures/fake-loginctl', import.meta.url), join(bin, 'loginctl'));
  chmodSync(join(bin, 'AppStreamImageAssistant'), 0o755);
  chmodSync(join(bin, 'aws'), 0o755);
  chmodSync(join(bin, 'loginctl'), 0o755);
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
    FAKE_SESSIONS: join(dir, 'sessions'),
    FAKE_LOGINCTL_LOG: join(dir, 'loginctl.log'),
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

/**
 * Signs a payload as is (no schema parse): for fields the agents understand before
 * lib/agent/job.ts's strict step schema does (a step's `env`).
 */
async function signedRaw(payload: unknown): Promise<JobEnvelope> {
  const bytes = Buffer.from(JSON.stringify(payload), 'utf8');
  return {
    schemaVersion: 2,
    keyId: signer.keyId,
    algorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
    payload: bytes.toString('base64'),
    signature: (await signer.sign(bytes)).toString('base64'),
  };
}

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
      agentVersion: '2.1.0',
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

  it('exports AWS CLI settings from /etc/autopilot-agent.conf (a profile file the service account does not read by default)', async () => {
    const base = await s3Job();
    const roleConfig = join(dir, 'as2-config');
    const env = { ...s3, FAKE_PROFILE: '1', FAKE_PROFILE_CONFIG_FILE: roleConfig };
    // Without the setting the profile is not found: default chain, AccessDenied, nothing runs.
    const before = await agent(env).catch((e) => e);
    expect(before.stderr).toContain("no 'appstream_machine_role' credential profile");
    expect(existsSync(join(base, 'b1', 'results'))).toBe(false);
    const conf = join(dir, 'autopilot-agent.conf');
    writeFileSync(conf, `AWS_CONFIG_FILE=${roleConfig}\n`);
    const after = await agent({ ...env, AUTOPILOT_CONF: conf });
    expect(after.stderr).toContain("using the 'appstream_machine_role' credential profile");
    expect(readResult(base).status).toBe('succeeded');
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
    expect(result.steps[0].stderr).toContain('secret MISSING could not be resolved (ssm /nope)');
    expect(result.steps[0].stderr).toContain('ParameterNotFound');
  });

  const s3Secrets = (secrets: Record<string, string>, extra: Record<string, string> = {}) => ({
    AUTOPILOT_SOURCE: 's3://agent-bucket/autopilot-agent',
    FAKE_S3_LIST: '1',
    FAKE_PROFILE: '1',
    FAKE_SECRETS: JSON.stringify(secrets),
    ...extra,
  });
  const s3Base = () => join(dir, 's3', 'agent-bucket', 'autopilot-agent');

  it('reads a secret correctly when the AWS CLI also writes a warning to stderr (CLI v1 on an old Python)', async () => {
    const seen = join(dir, 'seen');
    const warning =
      '/usr/lib/python2.7/site-packages/awscli/compat.py:5: PythonDeprecationWarning: Boto3 will no longer support Python 2.7';
    await putJob(
      job([step('install', ['sh', '-c', 'printf "%s" "$1" > "$2"', 'sh', '{{secret:LICENSE_KEY}}', seen])], {
        secrets: [{ name: 'LICENSE_KEY', source: 'ssm', ref: '/autopilot/license' }],
      }),
      s3Base(),
    );
    const out = await agent(
      s3Secrets({ 'ssm:/autopilot/license': 'Lic-123' }, { FAKE_STDERR_WARNING: warning }),
    );
    expect(readResult(s3Base()).status).toBe('succeeded');
    expect(readFileSync(seen, 'utf8')).toBe('Lic-123'); // not "" (stdout and stderr kept apart)
    expect(out.stderr).toContain('PythonDeprecationWarning'); // logged, not parsed
    expect(out.stderr).not.toContain('Lic-123');
  });

  it.each([
    ['an empty SSM value', 'ssm', '/autopilot/license', 'ssm:/autopilot/license'],
    ['an empty Secrets Manager value', 'secretsmanager', 'autopilot/db', 'secretsmanager:autopilot/db'],
  ] as const)('fails the step with a clear message on %s, and never runs it', async (_, source, ref, key) => {
    const ran = join(dir, 'ran');
    // (the step schema in lib/ may not know `env` yet: sign the payload as is)
    putDocument(
      await signedRaw({
        ...job([step('install', ['sh', '-c', 'touch "$1"', 'sh', ran])]),
        steps: [
          { ...step('install', ['sh', '-c', 'touch "$1"', 'sh', ran]), env: { KEY: '{{secret:KEY}}' } },
        ],
        secrets: [{ name: 'KEY', source, ref }],
      }),
      'build-1',
      s3Base(),
    );
    await agent(s3Secrets({ [key]: '' }));
    const result = readResult(s3Base());
    expect(result.status).toBe('failed');
    expect(result.steps[0].exitCode).toBe(255);
    expect(result.steps[0].stderr).toContain(
      `secret KEY could not be resolved (${source} ${ref}): the value is empty`,
    );
    expect(existsSync(ran)).toBe(false);
  });
});

describe("Linux pull agent (bash): secrets through a step's env (never on a command line)", () => {
  const s3Base = () => join(dir, 's3', 'agent-bucket', 'autopilot-agent');
  // The step scans EVERY process's command line on the machine while it runs (its own, the
  // agent's, timeout's, jq's...) for the value it received in its environment; the scan itself
  // never puts the value in an argv (shell pattern match, `tr` gets no value).
  const scan =
    'for f in /proc/[0-9]*/cmdline; do c=$(tr "\\000" " " < "$f" 2>/dev/null) || continue; ' +
    'case "$c" in *"$LICENSE"*) echo "LEAK in $f";; esac; done; ' +
    'echo "own cmdline: $(tr "\\000" " " < /proc/$$/cmdline)"; echo "parent cmdline: $(tr "\\000" " " < /proc/$PPID/cmdline)"; ' +
    'echo "licence=$LICENSE plain=$PLAIN"; printf "%s" "$LICENSE" > "$1"';

  it('sets env only for that step, resolves secrets in it, keeps them off every cmdline and redacts them', async () => {
    const value = 'Lic-ENV-7 "q" $x';
    const seen = join(dir, 'seen');
    const payload = {
      ...job([step('a', ['true'])]),
      secrets: [{ name: 'LICENSE_KEY', source: 'ssm', ref: '/autopilot/license' }],
      steps: [
        {
          ...step('install', ['sh', '-c', scan, 'sh', seen]),
          env: { LICENSE: '{{secret:LICENSE_KEY}}', PLAIN: 'plain value' },
        },
        step('next', ['sh', '-c', 'echo "next sees [$LICENSE] [$PLAIN]"']),
      ],
    };
    putDocument(await signedRaw(payload), 'build-1', s3Base());
    const out = await agent({
      AUTOPILOT_SOURCE: 's3://agent-bucket/autopilot-agent',
      FAKE_S3_LIST: '1',
      FAKE_PROFILE: '1',
      FAKE_SECRETS: JSON.stringify({ 'ssm:/autopilot/license': value }),
    });
    expect(readFileSync(seen, 'utf8')).toBe(value); // the program got the real value
    const result = readResult(s3Base());
    expect(result.status).toBe('succeeded');
    const stdout = result.steps[0].stdout;
    expect(stdout).not.toMatch(/LEAK in \/proc\/\d+/);
    expect(stdout).toContain('own cmdline: sh -c ');
    expect(stdout).toContain('licence=*** plain=plain value');
    expect(result.steps[1].stdout).toBe('next sees [] []\n'); // env is per step
    const everything = [
      allText(join(dir, 's3')),
      allText(stateDir()),
      allText(join(dir, 'aws.log')),
      out.stderr,
    ].join('\n');
    expect(everything).not.toContain(value);
  });

  it('(contrast) an argv placeholder IS visible in the process list: why env is the recommended way', async () => {
    const payload = {
      ...job([step('a', ['true'])]),
      secrets: [{ name: 'LICENSE_KEY', source: 'ssm', ref: '/autopilot/license' }],
      steps: [
        {
          ...step('install', ['sh', '-c', scan, 'sh', join(dir, 'seen'), '{{secret:LICENSE_KEY}}']),
          env: { LICENSE: '{{secret:LICENSE_KEY}}' },
        },
      ],
    };
    putDocument(await signedRaw(payload), 'build-1', s3Base());
    await agent({
      AUTOPILOT_SOURCE: 's3://agent-bucket/autopilot-agent',
      FAKE_S3_LIST: '1',
      FAKE_PROFILE: '1',
      FAKE_SECRETS: JSON.stringify({ 'ssm:/autopilot/license': 'Lic-ARGV-1' }),
    });
    expect(readResult(s3Base()).steps[0].stdout).toMatch(/LEAK in \/proc\/\d+\/cmdline/);
  });

  it('refuses a job whose step env has a name that is not an environment variable name', async () => {
    putDocument(
      await signedRaw({
        ...job([step('a', ['true'])]),
        steps: [{ ...step('a', ['touch', join(dir, 'ran')]), env: { 'BAD NAME': 'x' } }],
      }),
    );
    await agent();
    expect(readResult().reason).toContain('malformed:');
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });
});

describe('Linux pull agent (bash): presence heartbeat (an interactive logon keeps the builder alive)', () => {
  // Contract (agent/PROTOCOL.md, "Presence heartbeat"): <prefix>/<builder>/presence/heartbeat.json,
  // written at the first sight of an interactive logon and every AUTOPILOT_PRESENCE_SECONDS while
  // one lasts. Small cadences here: 1 s, logons looked for every 0.1 s.
  const sessions = () => join(dir, 'sessions');
  const looks = () => join(dir, 'loginctl.log');
  /**
   * loginctl sessions: [id, uid, user, class, state, type?, idleHint?, idleSinceHint µs?, start s?]
   * (test/agent/fixtures/fake-loginctl; '-' or absent = not reported).
   */
  type Row = [string, number, string, string, string, ...(string | number)[]];
  const logOn = (...rows: Row[]) => writeFileSync(sessions(), rows.map((r) => `${r.join(' ')}\n`).join(''));
  /** Microseconds since the epoch (logind's IdleSinceHint), `s` seconds from now. */
  const usAgo = (s: number) => (Date.now() - s * 1000) * 1000;
  const secondsAgo = (s: number) => Math.floor(Date.now() / 1000) - s;
  const lookCount = () =>
    existsSync(looks())
      ? readFileSync(looks(), 'utf8')
          .split('\n')
          .filter((l) => l === 'list-sessions').length
      : 0;
  const fast = {
    AUTOPILOT_PRESENCE_SECONDS: '1',
    AUTOPILOT_PRESENCE_CHECK_SECONDS: '0.1',
    AUTOPILOT_POLL_SECONDS: '1',
  };
  const heartbeatFile = (base = store()) => join(builderDir(base), 'presence', 'heartbeat.json');
  /** The heartbeat as written, or undefined while there is none (or S3's copy is half written). */
  function heartbeat(base = store()): Record<string, unknown> | undefined {
    try {
      return JSON.parse(readFileSync(heartbeatFile(base), 'utf8'));
    } catch {
      return undefined;
    }
  }
  const ImageBuilderAdmin: Row = ['c2', 1000, 'ImageBuilderAdmin', 'user', 'active'];
  // Sessions that are not a person logged on: the login screen, root, a service account, a
  // logged-out session whose processes linger, a background session.
  const notPeople: Row[] = [
    ['c1', 42, 'gdm', 'greeter', 'online'],
    ['3', 0, 'root', 'user', 'active'],
    ['4', 993, 'dcv', 'user', 'online'],
    ['5', 1001, 'test-user', 'user', 'closing'],
    ['6', 1000, 'ImageBuilderAdmin', 'background', 'active'],
  ];

  it("writes the contract's heartbeat when someone logs on, counting people (not sessions, not service accounts)", async () => {
    logOn(
      ImageBuilderAdmin,
      ['c7', 1000, 'ImageBuilderAdmin', 'user', 'online'],
      ['8', 1002, 'test-user', 'user', 'active'],
      ...notPeople,
    );
    startAgent(fast, []);
    await until('a presence heartbeat', () => heartbeat() !== undefined);
    const raw = readFileSync(heartbeatFile());
    expect(raw[0]).toBe('{'.charCodeAt(0)); // UTF-8 JSON without a BOM
    const body = JSON.parse(raw.toString('utf8'));
    expect(Object.keys(body).sort()).toEqual(['agentVersion', 'at', 'builderName', 'schemaVersion', 'users']);
    expect(body).toMatchObject({ schemaVersion: 2, builderName: 'b1', agentVersion: '2.1.0', users: 2 });
    expect(body.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Number.isNaN(Date.parse(body.at))).toBe(false);
  });

  it('writes it again every presenceSeconds while the logon lasts, not at every look', async () => {
    logOn(ImageBuilderAdmin);
    startAgent(fast, []);
    const seen: string[] = [];
    await until('three heartbeats', () => {
      const at = heartbeat()?.at as string | undefined;
      if (at && seen.at(-1) !== at) seen.push(at);
      return seen.length >= 3;
    });
    const times = seen.map((t) => Date.parse(t));
    // The agent measures the 1 s cadence from its decision to write; `at` is stamped a few ms later.
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(900);
    expect(lookCount()).toBeGreaterThan(seen.length); // looked more often than it wrote
  });

  it('writes nothing while nobody is logged on, and stops writing when the last one logs off', async () => {
    logOn(...notPeople);
    const a = startAgent(fast, []);
    await until('15 looks at the sessions', () => lookCount() >= 15); // > 1 s of looking
    expect(existsSync(join(builderDir(), 'presence'))).toBe(false);

    logOn(ImageBuilderAdmin);
    await until('a presence heartbeat', () => heartbeat() !== undefined);
    await until('the logon in the log', () =>
      a.stderr().includes('presence: interactive logon (ImageBuilderAdmin): heartbeat every 1s'),
    );

    logOn(...notPeople); // logged off
    await until('the agent to notice', () => a.stderr().includes('presence: nobody is logged on'));
    const last = readFileSync(heartbeatFile(), 'utf8');
    const after = lookCount();
    await until('15 more looks', () => lookCount() >= after + 15); // longer than the cadence
    expect(readFileSync(heartbeatFile(), 'utf8')).toBe(last);
  });

  it('keeps the heartbeat going while a long job step runs', async () => {
    logOn(ImageBuilderAdmin);
    // The step itself waits until the heartbeat is rewritten twice, then prints the last one: it
    // only finishes if presence goes out while it runs.
    const waitForPresence =
      'i=0; while [ ! -s "$1" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; ' +
      'for n in 1 2; do first=$(cat "$1"); while [ "$(cat "$1")" = "$first" ] && [ $i -lt 800 ]; do sleep 0.05; i=$((i+1)); done; done; cat "$1"';
    await putJob(
      job([step('long', ['sh', '-c', waitForPresence, 'sh', heartbeatFile()], { timeoutSeconds: 60 })]),
    );
    await agent(fast);
    const result = readResult();
    expect(result.status).toBe('succeeded');
    const seen = JSON.parse(result.steps[0].stdout);
    expect(seen).toMatchObject({ schemaVersion: 2, builderName: 'b1', users: 1 });
    const step0 = result.steps[0];
    expect(Date.parse(seen.at)).toBeGreaterThan(Date.parse(step0.startedAt!));
    expect(Date.parse(seen.at)).toBeLessThanOrEqual(Date.parse(step0.finishedAt!));
  });

  it('logs a failed write and retries it at the next look, and jobs still run meanwhile', async () => {
    const base = join(dir, 's3', 'agent-bucket', 'autopilot-agent');
    logOn(ImageBuilderAdmin);
    await putJob(job([step('c', ['true'])]), base);
    const a = startAgent(
      {
        ...fast,
        AUTOPILOT_SOURCE: 's3://agent-bucket/autopilot-agent',
        FAKE_S3_LIST: '1',
        FAKE_PROFILE: '1',
        FAKE_FAIL_PUT_PRESENCE: '3',
      },
      [],
    );
    await until('a presence heartbeat in the bucket', () => heartbeat(base) !== undefined);
    // Written by the 4th attempt (3 failures), each failure logged.
    await until('the failures in the log', () => a.stderr().includes('presence: interactive logon'));
    expect(a.stderr().split('presence: heartbeat not written (retried in 0.1s)').length - 1).toBe(3);
    expect(heartbeat(base)).toMatchObject({ builderName: 'b1', users: 1 });
    await until('the job result', () => existsSync(join(builderDir(base), 'results', 'build-1.json')));
    expect(readResult(base).status).toBe('succeeded');
  });

  // A person counts only while their logon had input within AUTOPILOT_PRESENCE_IDLE_SECONDS: a
  // desktop left open after the streaming tab was closed must not keep the builder alive.
  it('stops the heartbeats when the desktop has had no input for presenceIdleSeconds, and resumes at the next input', async () => {
    const desktop = (idleHint: string, since: number): Row => [
      'c2',
      1000,
      'ImageBuilderAdmin',
      'user',
      'active',
      'x11',
      idleHint,
      since,
      secondsAgo(3600),
    ];
    logOn(desktop('no', usAgo(5))); // GNOME: in use (IdleHint=no since the last idle period ended)
    const a = startAgent({ ...fast, AUTOPILOT_PRESENCE_IDLE_SECONDS: '60' }, []);
    await until('a presence heartbeat', () => heartbeat() !== undefined);

    logOn(desktop('yes', usAgo(120))); // idle for 2 minutes (> 60 s): the tab was closed
    await until('the agent to notice', () =>
      a.stderr().includes('presence: logged on (ImageBuilderAdmin) but no input for 60s; no more heartbeats'),
    );
    const last = readFileSync(heartbeatFile(), 'utf8');
    const after = lookCount();
    await until('15 more looks', () => lookCount() >= after + 15); // longer than the 1 s cadence
    expect(readFileSync(heartbeatFile(), 'utf8')).toBe(last);

    logOn(desktop('no', usAgo(0))); // input again
    await until('a new heartbeat', () => readFileSync(heartbeatFile(), 'utf8') !== last);
    expect(a.stderr().split('presence: interactive logon (ImageBuilderAdmin)').length - 1).toBe(2);
  });

  it('counts a logon idle for less than presenceIdleSeconds, and a terminal by its last input (IdleSinceHint)', async () => {
    logOn(
      // a desktop idle for 30 s: still counts with a 60 s limit
      ['c2', 1000, 'ImageBuilderAdmin', 'user', 'active', 'x11', 'yes', usAgo(30), secondsAgo(600)],
      // text sessions: logind reports the terminal's access time as IdleSinceHint
      ['7', 1001, 'test-user', 'user', 'online', 'tty', 'no', usAgo(120), secondsAgo(600)],
      ['8', 1002, 'alice', 'user', 'online', 'tty', 'no', usAgo(5), secondsAgo(600)],
    );
    startAgent({ ...fast, AUTOPILOT_PRESENCE_IDLE_SECONDS: '60' }, []);
    await until('a presence heartbeat', () => heartbeat() !== undefined);
    expect(heartbeat()).toMatchObject({ users: 2 }); // ImageBuilderAdmin and alice, not test-user
  });

  it('counts a session without an idle hint only for presenceIdleSeconds from its start (never for as long as it stays open)', async () => {
    // No idle hint (IdleSinceHint 0: the desktop never set one) and started an hour ago: not counted.
    logOn(['c3', 1000, 'ImageBuilderAdmin', 'user', 'active', 'x11', 'no', 0, secondsAgo(3600)]);
    const a = startAgent({ ...fast, AUTOPILOT_PRESENCE_IDLE_SECONDS: '2' }, []);
    await until('15 looks at the sessions', () => lookCount() >= 15);
    expect(existsSync(join(builderDir(), 'presence'))).toBe(false);

    // A new session that reports nothing (no Timestamp either): counted from the agent's first
    // sight of it, for 2 s, then no more.
    logOn(['c4', 1000, 'ImageBuilderAdmin', 'user', 'active', 'x11']);
    await until('a presence heartbeat', () => heartbeat() !== undefined);
    expect(a.stderr()).toContain(
      'presence: no idle hint for logind:c4: counted for 2s from its start or last input seen',
    );
    await until('the fallback to end', () =>
      a.stderr().includes('presence: logged on (ImageBuilderAdmin) but no input for 2s; no more heartbeats'),
    );
    const last = readFileSync(heartbeatFile(), 'utf8');
    const after = lookCount();
    await until('15 more looks', () => lookCount() >= after + 15);
    expect(readFileSync(heartbeatFile(), 'utf8')).toBe(last);
  });

  it('refuses an AUTOPILOT_PRESENCE_IDLE_SECONDS that is not a positive whole number', async () => {
    const r = await agent({ AUTOPILOT_PRESENCE_IDLE_SECONDS: '0' }).then(
      () => ({ code: 0, stderr: '' }),
      (e) => ({ code: e.code as number, stderr: e.stderr as string }),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('AUTOPILOT_PRESENCE_IDLE_SECONDS must be a positive whole number of seconds');
  });

  it('is off with AUTOPILOT_PRESENCE_SECONDS=0', async () => {
    logOn(ImageBuilderAdmin);
    await putJob(job([step('c', ['true'])]));
    await agent({ ...fast, AUTOPILOT_PRESENCE_SECONDS: '0' });
    expect(readResult().status).toBe('succeeded');
    expect(lookCount()).toBe(0);
    expect(existsSync(heartbeatFile())).toBe(false);
  });
});

describe('agent/iam/builder-role-policy.json allows exactly what the bash agent calls', () => {
  type Statement = {
    Effect: string;
    Action: string | string[];
    Resource: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
  };
  const policy = JSON.parse(readFileSync('agent/iam/builder-role-policy.json', 'utf8')) as {
    Statement: Statement[];
  };
  const values: Record<string, string> = {
    '<AgentBucketName>': 'agent-bucket',
    '<region>': 'us-east-1',
    '<account-id>': '111122223333',
  };
  const fill = (s: string) => s.replace(/<[A-Za-z-]+>/g, (m) => values[m] ?? m);
  const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
  /** IAM's StringLike / Resource matching: `*` any run of characters, `?` one character. */
  const like = (pattern: string, value: string) =>
    new RegExp(
      `^${pattern
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('')}$`,
    ).test(value);
  function allowed(action: string, resource: string, context: Record<string, string> = {}) {
    return policy.Statement.some(
      (st) =>
        st.Effect === 'Allow' &&
        list(st.Action).some((a) => like(a, action)) &&
        list(st.Resource).some((r) => like(fill(r), resource)) &&
        Object.entries(st.Condition ?? {}).every(([op, keys]) =>
          Object.entries(keys).every(([key, want]) => {
            const got = context[key];
            if (got === undefined) return false;
            if (op === 'StringLike') return list(want).some((w) => like(fill(w), got));
            if (op === 'StringEquals') return list(want).some((w) => fill(w) === got);
            throw new Error(`condition operator ${op} not modelled`);
          }),
        ),
    );
  }
  /** One fake-aws call (its logged argv) as the IAM request it is. */
  function request(call: string[]): [string, string, Record<string, string>] {
    const opt = (name: string) => call[call.indexOf(`--${name}`) + 1];
    const [svc, op] = call;
    const arn = (service: string, rest: string) => `arn:aws:${service}:us-east-1:111122223333:${rest}`;
    switch (`${svc} ${op}`) {
      case 's3api list-objects-v2':
        return ['s3:ListBucket', `arn:aws:s3:::${opt('bucket')}`, { 's3:prefix': opt('prefix') }];
      case 's3api get-object':
        return ['s3:GetObject', `arn:aws:s3:::${opt('bucket')}/${opt('key')}`, {}];
      case 's3api put-object':
        return ['s3:PutObject', `arn:aws:s3:::${opt('bucket')}/${opt('key')}`, {}];
      case 'ssm get-parameter':
        return ['ssm:GetParameter', arn('ssm', `parameter/${opt('name').replace(/^\//, '')}`), {}];
      case 'secretsmanager get-secret-value':
        // A secret's ARN ends with a random 6-character suffix.
        return [
          'secretsmanager:GetSecretValue',
          arn('secretsmanager', `secret:${opt('secret-id')}-AbCdEf`),
          {},
        ];
      default:
        throw new Error(`unmodelled call ${call.join(' ')}`);
    }
  }

  it('lets the ListBucket condition, GetObject and PutObject statements cover every call of a whole job', async () => {
    const base = join(dir, 's3', 'agent-bucket', 'autopilot-agent');
    await putJob(
      job(
        [
          step('install', ['sh', '-c', 'echo "$1 $2" >/dev/null', 'sh', '{{secret:LIC}}', '{{secret:DB}}']),
          { id: 'create-image', kind: 'image-assistant', argv: ['create-image', '--name', 'img'] },
        ],
        {
          heartbeatSeconds: 1,
          secrets: [
            { name: 'LIC', source: 'ssm', ref: '/autopilot/license' },
            { name: 'DB', source: 'secretsmanager', ref: 'autopilot/db' },
          ],
        },
      ),
      base,
    );
    // A refused job (another builder's) too: its result is written the same way.
    putDocument(
      await signed(job([step('c', ['true'])], { jobId: 'build-2', builderName: 'b2' })),
      'build-2',
      base,
    );
    await agent({
      AUTOPILOT_SOURCE: 's3://agent-bucket/autopilot-agent',
      FAKE_S3_LIST: '1',
      FAKE_PROFILE: '1',
      FAKE_SECRETS: JSON.stringify({ 'ssm:/autopilot/license': 'v1', 'secretsmanager:autopilot/db': 'v2' }),
    });
    expect(readResult(base).status).toBe('succeeded');
    expect(readResult(base, 'build-2').status).toBe('refused');
    const calls = apiCalls().map(request);
    expect(new Set(calls.map((c) => c[0]))).toEqual(
      new Set([
        's3:ListBucket',
        's3:GetObject',
        's3:PutObject',
        'ssm:GetParameter',
        'secretsmanager:GetSecretValue',
      ]),
    );
    for (const [action, resource, context] of calls)
      expect({ action, resource, context, allowed: allowed(action, resource, context) }).toMatchObject({
        allowed: true,
      });
  });

  it("allows the presence heartbeat's PutObject (and only under presence/)", async () => {
    const base = join(dir, 's3', 'agent-bucket', 'autopilot-agent');
    writeFileSync(join(dir, 'sessions'), 'c2 1000 ImageBuilderAdmin user active\n');
    startAgent(
      {
        AUTOPILOT_SOURCE: 's3://agent-bucket/autopilot-agent',
        FAKE_S3_LIST: '1',
        FAKE_PROFILE: '1',
        AUTOPILOT_PRESENCE_SECONDS: '1',
        AUTOPILOT_PRESENCE_CHECK_SECONDS: '0.1',
        AUTOPILOT_POLL_SECONDS: '1',
      },
      [],
    );
    const puts = () =>
      apiCalls().filter(
        (c) => c[1] === 'put-object' && c[c.indexOf('--key') + 1].endsWith('/presence/heartbeat.json'),
      );
    await until('two presence heartbeats', () => puts().length >= 2);
    expect(existsSync(join(base, 'b1', 'presence', 'heartbeat.json'))).toBe(true);
    for (const [action, resource, context] of puts().map(request)) {
      expect(resource).toBe('arn:aws:s3:::agent-bucket/autopilot-agent/b1/presence/heartbeat.json');
      expect({ action, resource, allowed: allowed(action, resource, context) }).toMatchObject({
        allowed: true,
      });
    }
    expect(allowed('s3:PutObject', 'arn:aws:s3:::agent-bucket/autopilot-agent/b1/jobs/heartbeat.json')).toBe(
      false,
    );
    expect(
      allowed('s3:GetObject', 'arn:aws:s3:::agent-bucket/autopilot-agent/b1/presence/heartbeat.json'),
    ).toBe(false);
    expect(
      allowed('s3:PutObject', 'arn:aws:s3:::other-bucket/autopilot-agent/b1/presence/heartbeat.json'),
    ).toBe(false);
  });

  it('and nothing more: no job writes, no listing outside the agent prefix, no other bucket', () => {
    expect(allowed('s3:PutObject', 'arn:aws:s3:::agent-bucket/autopilot-agent/b1/jobs/x.json')).toBe(false);
    expect(allowed('s3:PutObject', 'arn:aws:s3:::agent-bucket/autopilot-agent/b1/results/x.json')).toBe(true);
    expect(allowed('s3:ListBucket', 'arn:aws:s3:::agent-bucket', { 's3:prefix': 'other/' })).toBe(false);
    expect(allowed('s3:ListBucket', 'arn:aws:s3:::agent-bucket')).toBe(false); // no prefix: whole bucket
    expect(
      allowed('s3:ListBucket', 'arn:aws:s3:::agent-bucket', { 's3:prefix': 'autopilot-agent/b1/' }),
    ).toBe(true);
    expect(allowed('s3:GetObject', 'arn:aws:s3:::other-bucket/autopilot-agent/b1/jobs/x.json')).toBe(false);
    expect(allowed('s3:GetObject', 'arn:aws:s3:::agent-bucket/autopilot-agent/b2/results/x.json')).toBe(
      false,
    );
  });
});
