import type { BuilderChannel } from './channel';
import {
  JOB_SCHEMA_VERSION,
  type Job,
  type JobClaim,
  JobClaimSchema,
  type JobEnvelope,
  type JobResult,
  JobResultSchema,
  type JobSecret,
  readAgentDocument,
  SECRET_PLACEHOLDER,
  type StepResult,
} from './job';
import { agentKeys } from './s3-channel';
import { type JobSigner, LocalJobSigner, signJob, verifyEnvelope } from './signer';

/** Runs a build command on the emulated builder; the emulator has no OS to run it on. */
export type CommandRunner = (
  builderName: string,
  argv: string[],
  /** The step's `env`, secrets resolved (absent: none). */
  env?: Record<string, string>,
) => { exitCode: number; stdout: string; stderr: string };

/** Commands are recorded, not executed: there is no Windows or Linux behind an emulated builder. */
export const recordCommand: CommandRunner = (_builder, argv, env) => ({
  exitCode: 0,
  stdout: `emulated builder: recorded, not executed: ${JSON.stringify(argv)}${env ? ` env ${JSON.stringify(env)}` : ''}`,
  stderr: '',
});

/**
 * How the emulated agent behaves on a builder (tests pick one per builder):
 * - `normal`: verifies, claims, heartbeats, runs the job, writes the result;
 * - `absent`: no agent was baked into the image: nothing ever claims the job;
 * - `outdated`: a protocol 1 agent: writes a schemaVersion 1 result;
 * - `dies`: claims the job, then stops heartbeating when it reaches step `atStep` (crash, hang);
 * - `reboots`: the builder restarts while step `duringStep` runs; the agent is back after
 *   `downSeconds` and resumes from its local state (agent/PROTOCOL.md, resumable steps).
 */
export type AgentBehaviour =
  | { kind: 'normal' }
  | { kind: 'absent' }
  | { kind: 'outdated' }
  | { kind: 'dies'; atStep: string }
  | { kind: 'reboots'; duringStep: string; downSeconds?: number };

export interface EmulatorChannelOptions {
  /** The pipeline's signer (default: the process's local key pair). */
  signer?: JobSigner;
  /** The public key baked beside the agent (default: the signer's: a correctly baked image). */
  trustedPublicKeyPem?: string;
  /** The virtual clock (epoch ms); the agent's heartbeats and expiry checks use it. */
  now?: () => number;
  /** Builder state as AppStream reports it: the agent only runs on a RUNNING builder. */
  builderState?: (region: string, builderName: string) => Promise<string | undefined>;
  /** What the builder's role can read from SSM / Secrets Manager (the agent resolves secrets there). */
  secrets?: (source: JobSecret['source'], ref: string) => string | undefined;
  /** Virtual seconds a step takes (default 0): the agent heartbeats while it runs. */
  stepSeconds?: (step: Job['steps'][number]) => number;
  behaviour?: (builderName: string) => AgentBehaviour;
  /** A rogue writer (e.g. a builder's role) replaces the stored job document with this. */
  tamper?: (envelope: JobEnvelope, job: Job) => unknown | Promise<unknown>;
  /** Write claims/results with a UTF-8 BOM, as Windows PowerShell 5.1 does. */
  bom?: boolean;
}

export const EMULATED_AGENT_VERSION = '2.0.0-emulated';
const REBOOT_LEASE_MS = 20 * 60_000;

interface AgentRun {
  job: Job;
  claimedAt: string;
  steps: StepResult[];
  index: number;
  stepStartedAt?: number;
  stepEndsAt?: number;
  /** The builder is rebooting until then; the step at `index` was in progress. */
  downUntil?: number;
  rebooted?: boolean;
  rebootExpectedUntil?: string;
  dead?: boolean;
  finished?: boolean;
}

/**
 * The local channel: a bucket in memory plus an emulated agent that follows agent protocol 2
 * against the emulator. It verifies the signed envelope like the real agents (refuses unsigned,
 * foreign, expired jobs), claims the job and renews the claim on the virtual clock, resolves
 * `{{secret:NAME}}` on the "builder" and redacts the values from captured output. Image
 * Assistant steps go to the emulator's Image Assistant endpoint (real name rules, catalog
 * limits, snapshot effects); command steps go to `runCommand`.
 */
export class EmulatorChannel implements BuilderChannel {
  /** Documents by S3 key (the bucket): jobs/, claims/, results/. */
  readonly documents = new Map<string, string>();
  private readonly runs = new Map<string, AgentRun>();
  readonly signer: JobSigner;
  private readonly prefix = 'autopilot-agent';

  constructor(
    private readonly endpoint: string,
    private readonly accountId: string,
    private readonly runCommand: CommandRunner = recordCommand,
    private readonly options: EmulatorChannelOptions = {},
  ) {
    this.signer = options.signer ?? LocalJobSigner.shared();
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private key(region: string, builderName: string, jobId: string, kind: 'job' | 'claim' | 'result') {
    return `${region}:${agentKeys(this.prefix, builderName, jobId)[kind]}`;
  }

  async submit(region: string, job: Job): Promise<void> {
    const runKey = this.key(region, job.builderName, job.jobId, 'job');
    // A retried submit after the agent picked the job up changes nothing.
    if (!this.runs.has(runKey)) {
      const envelope = await signJob(job, this.signer);
      const stored = this.options.tamper ? await this.options.tamper(envelope, job) : envelope;
      this.documents.set(runKey, JSON.stringify(stored));
    }
    await this.agentTick(region, job.builderName, job.jobId);
  }

  async claim(region: string, builderName: string, jobId: string): Promise<JobClaim | undefined> {
    await this.agentTick(region, builderName, jobId);
    return this.read(JobClaimSchema, this.key(region, builderName, jobId, 'claim'), builderName);
  }

  async result(region: string, builderName: string, jobId: string): Promise<JobResult | undefined> {
    await this.agentTick(region, builderName, jobId);
    return this.read(JobResultSchema, this.key(region, builderName, jobId, 'result'), builderName);
  }

  private read<T>(
    schema: Parameters<typeof readAgentDocument>[0],
    key: string,
    builderName: string,
  ): T | undefined {
    const text = this.documents.get(key);
    return text === undefined ? undefined : (readAgentDocument(schema, text, key, builderName) as T);
  }

  private write(key: string, doc: unknown): void {
    this.documents.set(key, `${this.options.bom ? '\uFEFF' : ''}${JSON.stringify(doc)}`);
  }

  /** The agent does whatever it would have done by now on the virtual clock. */
  private async agentTick(region: string, builderName: string, jobId: string): Promise<void> {
    const jobKey = this.key(region, builderName, jobId, 'job');
    const document = this.documents.get(jobKey);
    if (document === undefined) return;
    const behaviour = this.options.behaviour?.(builderName) ?? { kind: 'normal' };
    if (behaviour.kind === 'absent') return;
    let run = this.runs.get(jobKey);
    if (run?.finished || run?.dead) return;
    if (run?.downUntil !== undefined && this.now() < run.downUntil) return;
    const state = await this.options.builderState?.(region, builderName);
    if (state !== undefined && state !== 'RUNNING') return; // the agent runs on a RUNNING builder only
    const now = this.now();
    const iso = new Date(now).toISOString();
    const resultKey = this.key(region, builderName, jobId, 'result');
    if (!run) {
      if (behaviour.kind === 'outdated') {
        this.write(resultKey, { schemaVersion: 1, jobId, status: 'failed', finishedAt: iso, steps: [] });
        this.runs.set(jobKey, { finished: true } as AgentRun);
        return;
      }
      const verdict = verifyEnvelope(document, this.options.trustedPublicKeyPem ?? this.publicKeyPem(), {
        builderName,
        now,
        jobId,
      });
      if (!verdict.ok) {
        this.write(resultKey, {
          schemaVersion: JOB_SCHEMA_VERSION,
          jobId,
          builderName,
          agentVersion: EMULATED_AGENT_VERSION,
          status: 'refused',
          reason: verdict.reason,
          finishedAt: iso,
          steps: [],
        });
        this.runs.set(jobKey, { finished: true } as AgentRun);
        return;
      }
      run = { job: verdict.job, claimedAt: iso, steps: [], index: 0 };
      this.runs.set(jobKey, run);
    }
    const claimKey = this.key(region, builderName, jobId, 'claim');
    const heartbeat = () =>
      this.write(claimKey, {
        schemaVersion: JOB_SCHEMA_VERSION,
        jobId,
        builderName,
        agentVersion: EMULATED_AGENT_VERSION,
        claimedAt: run.claimedAt,
        heartbeatAt: new Date(this.now()).toISOString(),
        currentStep: run.job.steps[run.index]?.id ?? null,
        completedSteps: run.steps.map((s) => s.id),
        ...(run.rebootExpectedUntil ? { rebootExpectedUntil: run.rebootExpectedUntil } : {}),
      });
    const finish = (status: 'succeeded' | 'failed', reason?: string) => {
      run.finished = true;
      this.write(resultKey, {
        schemaVersion: JOB_SCHEMA_VERSION,
        jobId,
        builderName,
        agentVersion: EMULATED_AGENT_VERSION,
        status,
        ...(reason ? { reason } : {}),
        finishedAt: new Date(this.now()).toISOString(),
        steps: run.steps,
      });
    };

    if (run.downUntil !== undefined) {
      // Back from the reboot: the local state says which step was in progress.
      const step = run.job.steps[run.index];
      run.downUntil = undefined;
      run.rebootExpectedUntil = undefined;
      run.stepEndsAt = undefined;
      const at = new Date(this.now()).toISOString();
      const startedAt = new Date(run.stepStartedAt ?? now).toISOString();
      if (step.expectReboot) {
        run.steps.push({
          id: step.id,
          exitCode: 0,
          stdout: '',
          stderr: '',
          startedAt,
          finishedAt: at,
          resumedAfterReboot: true,
        });
        run.index++;
      } else {
        run.steps.push({
          id: step.id,
          exitCode: 1,
          stdout: '',
          stderr: `the builder rebooted during step ${step.id}`,
          startedAt,
          finishedAt: at,
          resumedAfterReboot: true,
        });
        return finish('failed', `the builder rebooted during step ${step.id}`);
      }
    }

    while (run.index < run.job.steps.length) {
      const step = run.job.steps[run.index];
      if (run.stepEndsAt === undefined) {
        run.stepStartedAt = this.now();
        run.stepEndsAt = this.now() + (this.options.stepSeconds?.(step) ?? 0) * 1000;
        if (behaviour.kind === 'dies' && behaviour.atStep === step.id) {
          heartbeat(); // the last sign of life
          run.dead = true;
          return;
        }
        if (behaviour.kind === 'reboots' && behaviour.duringStep === step.id && !run.rebooted) {
          if (step.expectReboot)
            run.rebootExpectedUntil = new Date(this.now() + REBOOT_LEASE_MS).toISOString();
          heartbeat();
          run.rebooted = true;
          run.downUntil = this.now() + (behaviour.downSeconds ?? 120) * 1000;
          return;
        }
      }
      if (this.now() < run.stepEndsAt) {
        heartbeat();
        return;
      }
      const startedAt = new Date(run.stepStartedAt ?? this.now()).toISOString();
      const out = await this.runStep(region, run.job, step);
      run.steps.push({ id: step.id, ...out, startedAt, finishedAt: new Date(this.now()).toISOString() });
      run.index++;
      run.stepEndsAt = undefined;
      if (out.exitCode !== 0 && !step.continueOnError) return finish('failed');
      heartbeat();
    }
    finish('succeeded');
  }

  private publicKeyPem(): string {
    return (this.signer as LocalJobSigner).publicKeyPem ?? '';
  }

  /** Resolves the step's secrets (as the agent does on the builder), runs it, redacts the values. */
  private async runStep(
    region: string,
    job: Job,
    step: Job['steps'][number],
  ): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const values: string[] = [];
    const missing: string[] = [];
    const resolve = (a: string) =>
      a.replace(SECRET_PLACEHOLDER, (_m, name: string) => {
        const secret = job.secrets.find((s) => s.name === name);
        const value = secret ? this.options.secrets?.(secret.source, secret.ref) : undefined;
        if (value === undefined) {
          missing.push(secret ? `${name} (${secret.source}:${secret.ref})` : name);
          return '';
        }
        values.push(value);
        return value;
      });
    const argv = step.argv.map(resolve);
    // The step's environment: secrets resolved the same way (and redacted from what it prints).
    const env = step.env
      ? Object.fromEntries(Object.entries(step.env).map(([k, v]) => [k, resolve(v)]))
      : undefined;
    if (missing.length)
      return {
        exitCode: 1,
        stdout: '',
        stderr: `secret ${missing.join(', ')} could not be resolved on the builder`,
      };
    let out: { exitCode: number; stdout: string; stderr: string };
    if (step.kind === 'command') {
      out = this.runCommand(job.builderName, argv, env);
    } else {
      const res = await fetch(`${this.endpoint}/_emulator/image-assistant`, {
        method: 'POST',
        body: JSON.stringify({ builderName: job.builderName, argv, accountId: this.accountId, region }),
      });
      const body = (await res.json()) as { exitCode?: number; output?: unknown; __type?: string };
      out = res.ok
        ? { exitCode: body.exitCode ?? 255, stdout: JSON.stringify(body.output), stderr: '' }
        : { exitCode: 255, stdout: '', stderr: JSON.stringify(body) };
    }
    const redact = (text: string) =>
      values.filter((v) => v.length > 0).reduce((t, v) => t.split(v).join('***'), text);
    return { exitCode: out.exitCode, stdout: redact(out.stdout), stderr: redact(out.stderr) };
  }
}
