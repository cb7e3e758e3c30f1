import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { type Job, JobResultSchema } from '../../lib/agent/job';

const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'agent-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dir: string;
let bin: string;

// A stand-in for AppStreamImageAssistant: logs its argv (a line per call, each argument
// base64-encoded so any character survives) and answers
// like the real CLI: JSON on stdout, exit 0, or exit 1 for create-image of a name containing "taken".
const FAKE_ASSISTANT = `#!/usr/bin/env bash
line=""; for a in "$@"; do line+="$(printf '%s' "$a" | base64 -w0)."; done; echo "$line" >> "$ASSISTANT_LOG"
if [ "$1" = "create-image" ] && [[ "$3" == *taken* ]]; then
  echo '{"status":1,"message":"An image with the given name already exists"}'; exit 1
fi
echo '{"status":0,"message":"Success"}'
`;

// A stand-in for the AWS CLI's s3 commands, backed by a directory (s3://bucket/key → $S3_ROOT/bucket/key).
const FAKE_AWS = `#!/usr/bin/env bash
map() { echo "$S3_ROOT/\${1#s3://}"; }
[ "$1" = s3 ] || exit 2
case "$2" in
  ls) p=$(map "$3"); if [ -d "$p" ]; then ls "$p" | sed 's/^/2026-01-01 00:00:00 1 /'; elif [ -e "$p" ]; then echo "x 1 $(basename "$p")"; else exit 1; fi ;;
  cp) shift 2; args=(); for a in "$@"; do case "$a" in --quiet) ;; --content-type) skip=1 ;; *) if [ -n "\${skip:-}" ]; then skip=; else args+=("$a"); fi ;; esac; done
      src="\${args[0]}"; dst="\${args[1]}"
      [[ "$src" == s3://* ]] && src=$(map "$src"); [[ "$dst" == s3://* ]] && { dst=$(map "$dst"); mkdir -p "$(dirname "$dst")"; }
      cp "$src" "$dst" ;;
  *) exit 2 ;;
esac
`;

beforeEach(() => {
  dir = mkdtempSync(join(root, 't-'));
  bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'AppStreamImageAssistant'), FAKE_ASSISTANT);
  writeFileSync(join(bin, 'aws'), FAKE_AWS);
  chmodSync(join(bin, 'AppStreamImageAssistant'), 0o755);
  chmodSync(join(bin, 'aws'), 0o755);
});

function job(steps: Job['steps'], jobId = 'build-1'): Job {
  return { schemaVersion: 1, jobId, builderName: 'b1', createdAt: '2026-11-26T00:00:00Z', steps };
}

async function agent(env: Record<string, string>) {
  return run('bash', ['agent/linux/autopilot-agent.sh', '--once'], {
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      AppStream_Resource_Type: 'image-builder',
      AppStream_Resource_Name: 'b1',
      AUTOPILOT_IMAGE_ASSISTANT: 'AppStreamImageAssistant',
      ASSISTANT_LOG: join(dir, 'assistant.log'),
      S3_ROOT: join(dir, 's3'),
      ...env,
    },
  });
}

function putJob(base: string, j: Job) {
  mkdirSync(join(base, 'b1', 'jobs'), { recursive: true });
  writeFileSync(join(base, 'b1', 'jobs', `${j.jobId}.json`), JSON.stringify(j));
}

const readResult = (base: string, id = 'build-1') =>
  JobResultSchema.parse(JSON.parse(readFileSync(join(base, 'b1', 'results', `${id}.json`), 'utf8')));

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

const TRICKY = [
  'C:\\Program Files\\My App\\app.exe',
  '"quoted arg"',
  "it's $HOME `x` ; rm -rf /",
  '',
  'tab\there',
  'ünïcødé',
];

describe('Linux pull agent (bash) with a fake AppStreamImageAssistant', () => {
  it('runs a job in order with argument arrays intact and writes a valid result', async () => {
    const base = join(dir, 'store');
    putJob(
      base,
      job([
        {
          id: 'command-1',
          kind: 'command',
          argv: ['printf', '%s|', ...TRICKY],
          timeoutSeconds: 30,
          continueOnError: false,
        },
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
          timeoutSeconds: 30,
          continueOnError: false,
        },
        {
          id: 'create-image',
          kind: 'image-assistant',
          argv: ['create-image', '--name', 'img-1'],
          timeoutSeconds: 30,
          continueOnError: false,
        },
      ]),
    );
    await agent({ AUTOPILOT_SOURCE: `file://${base}` });
    const result = readResult(base);
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
  });

  it('stops at the first failing step, but not at a continueOnError one', async () => {
    const base = join(dir, 'store');
    putJob(
      base,
      job([
        { id: 'remove', kind: 'command', argv: ['false'], timeoutSeconds: 30, continueOnError: true },
        {
          id: 'create-image',
          kind: 'image-assistant',
          argv: ['create-image', '--name', 'taken-name'],
          timeoutSeconds: 30,
          continueOnError: false,
        },
        {
          id: 'never',
          kind: 'command',
          argv: ['touch', join(dir, 'never-ran')],
          timeoutSeconds: 30,
          continueOnError: false,
        },
      ]),
    );
    await agent({ AUTOPILOT_SOURCE: `file://${base}` });
    const result = readResult(base);
    expect(result.status).toBe('failed');
    expect(result.steps.map((s) => [s.id, s.exitCode])).toEqual([
      ['remove', 1],
      ['create-image', 1],
    ]);
    expect(JSON.parse(result.steps[1].stdout).message).toContain('already exists');
  });

  it('kills a step that runs past its timeout', async () => {
    const base = join(dir, 'store');
    putJob(
      base,
      job([
        { id: 'slow', kind: 'command', argv: ['sleep', '30'], timeoutSeconds: 1, continueOnError: false },
      ]),
    );
    await agent({ AUTOPILOT_SOURCE: `file://${base}` });
    expect(readResult(base).steps[0].exitCode).toBe(124);
  });

  it('runs a job once: a second pass finds it claimed', async () => {
    const base = join(dir, 'store');
    putJob(
      base,
      job([
        {
          id: 'c',
          kind: 'command',
          argv: ['sh', '-c', `echo ran >> ${join(dir, 'count')}`],
          timeoutSeconds: 30,
          continueOnError: false,
        },
      ]),
    );
    await agent({ AUTOPILOT_SOURCE: `file://${base}` });
    await agent({ AUTOPILOT_SOURCE: `file://${base}` });
    expect(readFileSync(join(dir, 'count'), 'utf8')).toBe('ran\n');
  });

  it('works through S3 with the AWS CLI', async () => {
    const bucketDir = join(dir, 's3', 'agent-bucket', 'autopilot-agent');
    putJob(
      bucketDir,
      job([
        {
          id: 'create-image',
          kind: 'image-assistant',
          argv: ['create-image', '--name', 'img'],
          timeoutSeconds: 30,
          continueOnError: false,
        },
      ]),
    );
    await agent({ AUTOPILOT_SOURCE: 's3://agent-bucket/autopilot-agent' });
    expect(readResult(bucketDir).status).toBe('succeeded');
  });

  it('does nothing on a fleet instance built from the image', async () => {
    const base = join(dir, 'store');
    putJob(
      base,
      job([{ id: 'c', kind: 'command', argv: ['true'], timeoutSeconds: 30, continueOnError: false }]),
    );
    const out = await agent({ AUTOPILOT_SOURCE: `file://${base}`, AppStream_Resource_Type: 'fleet' });
    expect(out.stderr).toContain('not an image builder');
    expect(() => readResult(base)).toThrow();
  });
});
