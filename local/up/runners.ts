/**
 * The three workflows as the local executions port runs them: each input as its deployed state
 * machine takes it (console and API inputs: `{"pipeline": "<name>"}` or `{"config": …}` for the
 * image pipeline, `{}` / `{"dryRun": true}` / `{"config"|"policy": …}` for the fleet schedule and
 * the cleanup), with the files serverless.yml bundles (params.scheduleFile,
 * params.cleanupPolicyFile) where the input names none.
 */
import { join } from 'node:path';
import type { RunningEmulator } from '../../emulator';
import { parseSchedule } from '../../emulator/autoscaling/schedule';
import type { Workflow } from '../../lib/api/executions';
import type { PipelineRun } from '../../lib/cleanup/deps';
import { bundledPipeline, pipelineDefinition, pipelineFiles } from '../../lib/config/catalog';
import { readPipelineFile, validatePipeline } from '../../lib/config/load';
import type { PipelineConfig } from '../../lib/config/pipeline';
import type { RunningExecution } from '../../lib/pipeline/deps';
import { runCleanupLocally } from '../cleanup';
import { runPipelineLocally } from '../pipeline';
import { runScheduleLocally } from '../schedule';
import type { RunOutcome, WorkflowRunner } from './executions';
import type { RemoteClock } from './remote-clock';
import { runPipelineRemote } from './remote-pipeline';
import type { DeclaredSchedule } from './schedules';

/** An emulator in this process, or the URL of one started separately. */
export type Target = { emulator: RunningEmulator } | { endpointUrl: string; clock: RemoteClock };

/**
 * The deployment's pipelines (serverless.yml param pipelinesDir, default config/pipelines): one
 * `<name>.yaml` per pipeline saying `name: <name>` (lib/config/catalog.ts, what Resolve reads
 * deployed), so `{"pipeline": "<name>", "overrides"?: {…}}` starts the same definition locally.
 */
export class PipelineCatalog {
  constructor(readonly dir: string) {}

  /** The pipelines of the folder (files whose `name` is their file's name). */
  names(): string[] {
    return [...pipelineFiles(this.dir)]
      .filter(([name, file]) => {
        try {
          return (readPipelineFile(file) as { name?: unknown } | null)?.name === name;
        } catch {
          return false;
        }
      })
      .map(([name]) => name);
  }

  /** The definition an execution input stands for, validated (ConfigError names the field). */
  definition(input: unknown): PipelineConfig {
    return validatePipeline(pipelineDefinition(input, { dir: this.dir }), 'input');
  }

  /**
   * What deploy/pipeline-schedules.cjs makes EventBridge Scheduler schedules of: each pipeline's
   * enabled `schedule` (cron and time zone), starting it with {"pipeline": "<name>"}.
   */
  schedules(): DeclaredSchedule[] {
    const out: DeclaredSchedule[] = [];
    for (const name of this.names()) {
      const config = validatePipeline(bundledPipeline(name, this.dir), join(this.dir, name));
      if (!config.schedule?.enabled) continue;
      out.push({
        id: `pipeline-${name}`,
        stateMachine: 'imagePipeline',
        workflow: 'pipeline',
        expression: config.schedule.cron,
        schedule: parseSchedule(config.schedule.cron),
        timezone: config.schedule.timezone,
        input: { pipeline: name },
      });
    }
    return out;
  }
}

export interface RunnerOptions {
  target: Target;
  pipelines: PipelineCatalog;
  /** The bundled fleet schedule file and cleanup policy (serverless.yml params), parsed. */
  scheduleConfig: () => unknown;
  cleanupPolicy: () => unknown;
  /** Where the cleanup's event-log cursors are kept (shared with the recorder delivery). */
  cursorFile: string;
  /**
   * The pipeline executions `local up` knows (ListExecutions' part for the cleanup: which run owns
   * a builder and whether it is still going, lib/cleanup/pipeline-runs.ts).
   */
  pipelineRuns?: () => Promise<PipelineRun[]>;
}

const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

const failed = (err: unknown): RunOutcome => {
  const e = err as Error;
  return { status: 'FAILED', error: e?.name ?? 'Error', cause: e?.message ?? String(err) };
};

export function workflowRunners(o: RunnerOptions): Record<Workflow, WorkflowRunner> {
  const at = 'emulator' in o.target ? { emulator: o.target.emulator } : { endpointUrl: o.target.endpointUrl };
  // RUNNING pipeline executions against a remote emulator (the concurrent-run guard reads them).
  const registry = new Map<string, RunningExecution>();
  return {
    pipeline: async ({ name, input, onProgress, signal }) => {
      // As Resolve reads it deployed: {"pipeline", "overrides"?} or {"config"}.
      const config = o.pipelines.definition(input);
      const { result, summary } =
        'emulator' in o.target
          ? await runPipelineLocally({
              config,
              executionName: name,
              emulator: o.target.emulator,
              onProgress,
              signal,
            })
          : await runPipelineRemote({
              config,
              executionName: name,
              endpointUrl: o.target.endpointUrl,
              clock: o.target.clock,
              registry,
              onProgress,
              signal,
            });
      return {
        status: result.status,
        error: result.error,
        cause: result.cause,
        image: summary.image?.arn ?? summary.image?.name,
        detail: summary,
      };
    },
    schedule: async ({ name, input, onProgress }) => {
      const i = obj(input);
      try {
        const { report } = await runScheduleLocally({
          ...at,
          config: i.config ?? o.scheduleConfig(),
          dryRun: i.dryRun === true,
          executionName: name,
          onProgress,
        });
        return { status: 'SUCCEEDED', detail: report };
      } catch (err) {
        return failed(err);
      }
    },
    cleanup: async ({ name, input, onProgress }) => {
      const i = obj(input);
      try {
        const { summary } = await runCleanupLocally({
          ...at,
          policy: i.policy ?? o.cleanupPolicy(),
          dryRun: i.dryRun === true,
          executionName: name,
          cursorFile: o.cursorFile,
          ...(o.pipelineRuns ? { pipelineRuns: o.pipelineRuns } : {}),
          onProgress,
        });
        return { status: 'SUCCEEDED', detail: summary };
      } catch (err) {
        return failed(err);
      }
    },
  };
}
