import type { BuilderChannel } from './channel';
import { JOB_SCHEMA_VERSION, type Job, type JobResult, type StepResult } from './job';

/** Runs a build command on the emulated builder; the emulator has no OS to run it on. */
export type CommandRunner = (
  builderName: string,
  argv: string[],
) => { exitCode: number; stdout: string; stderr: string };

/** Commands are recorded, not executed: there is no Windows or Linux behind an emulated builder. */
export const recordCommand: CommandRunner = (_builder, argv) => ({
  exitCode: 0,
  stdout: `emulated builder: recorded, not executed: ${JSON.stringify(argv)}`,
  stderr: '',
});

interface Pending {
  job: Job;
  result?: JobResult;
}

/**
 * The local channel: plays the builder agent against the emulator. Image Assistant steps go to
 * the emulator's Image Assistant endpoint (real name rules, catalog limits, snapshot effects);
 * command steps go to `runCommand`. Like the real agent it runs a job once, in order, stops at
 * the first failure, and only when the builder is RUNNING (else the job waits).
 */
export class EmulatorChannel implements BuilderChannel {
  private readonly jobs = new Map<string, Pending>();

  constructor(
    private readonly endpoint: string,
    private readonly accountId: string,
    private readonly runCommand: CommandRunner = recordCommand,
  ) {}

  async submit(region: string, job: Job): Promise<void> {
    const key = `${region}/${job.builderName}/${job.jobId}`;
    if (!this.jobs.has(key)) this.jobs.set(key, { job });
    await this.tryRun(region, key);
  }

  async result(region: string, builderName: string, jobId: string): Promise<JobResult | undefined> {
    const key = `${region}/${builderName}/${jobId}`;
    if (!this.jobs.has(key)) return undefined;
    await this.tryRun(region, key);
    return this.jobs.get(key)?.result;
  }

  private async tryRun(region: string, key: string): Promise<void> {
    const pending = this.jobs.get(key)!;
    if (pending.result) return;
    const steps: StepResult[] = [];
    let failed = false;
    for (const step of pending.job.steps) {
      const startedAt = new Date().toISOString();
      let out: { exitCode: number; stdout: string; stderr: string };
      if (step.kind === 'command') {
        out = this.runCommand(pending.job.builderName, step.argv);
      } else {
        const res = await fetch(`${this.endpoint}/_emulator/image-assistant`, {
          method: 'POST',
          body: JSON.stringify({
            builderName: pending.job.builderName,
            argv: step.argv,
            accountId: this.accountId,
            region,
          }),
        });
        const body = (await res.json()) as { exitCode?: number; output?: unknown; __type?: string };
        // Builder not reachable (not RUNNING): the agent is not up; the job stays pending.
        if (!res.ok && steps.length === 0) return;
        out = res.ok
          ? { exitCode: body.exitCode ?? 255, stdout: JSON.stringify(body.output), stderr: '' }
          : { exitCode: 255, stdout: '', stderr: JSON.stringify(body) };
      }
      steps.push({ id: step.id, ...out, startedAt, finishedAt: new Date().toISOString() });
      if (out.exitCode !== 0 && !step.continueOnError) {
        failed = true;
        break;
      }
    }
    pending.result = {
      schemaVersion: JOB_SCHEMA_VERSION,
      jobId: pending.job.jobId,
      status: failed ? 'failed' : 'succeeded',
      finishedAt: new Date().toISOString(),
      steps,
    };
  }
}
