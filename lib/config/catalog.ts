import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { ConfigError, named } from '../errors';
import { readPipelineFile } from './load';
import { describeIssues } from './pipeline';

/**
 * The deployment's pipelines: one definition per file in config/pipelines/ (serverless.yml param
 * pipelinesDir), `<name>.yaml` holding `name: <name>`, bundled into every function's package
 * (package.patterns) and read at run time from the package (LAMBDA_TASK_ROOT). Bundled, not SSM
 * Parameter Store: the schedules generated from them are fixed at package time anyway, a deploy
 * ships the definitions and the code that reads them together (a rollback rolls both back), and
 * a run reads no AWS API for its definition (README "Configuration").
 */
export const DEFAULT_PIPELINES_DIR = 'config/pipelines';

/** `{"pipeline": "<name>"}` named no pipeline of the deployment. */
export const PipelineNotFound = named('PipelineNotFound');

const PIPELINE_FILE = /^(.+)\.(ya?ml|json)$/i;

/** The folder of the bundled pipelines: PIPELINES_DIR, relative to the package root on Lambda. */
export function pipelinesDirFrom(env: Record<string, string | undefined> = process.env): string {
  const dir = env.PIPELINES_DIR || DEFAULT_PIPELINES_DIR;
  return isAbsolute(dir) ? dir : join(env.LAMBDA_TASK_ROOT ?? '.', dir);
}

/** The pipeline files of `dir` by the name their file gives (`office-apps.yaml` → office-apps). */
export function pipelineFiles(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  if (!existsSync(dir)) return files;
  for (const file of readdirSync(dir).sort()) {
    const m = PIPELINE_FILE.exec(file);
    if (!m) continue;
    if (files.has(m[1]))
      throw new ConfigError(`${join(dir, file)}: a second file for pipeline ${m[1]} (${files.get(m[1])})`);
    files.set(m[1], join(dir, file));
  }
  return files;
}

/**
 * The raw definition of the bundled pipeline `name` (validated by the caller). Its file is
 * `<name>.yaml` and says `name: <name>`: the file name is what a person types, the `name` what
 * tags and images carry, and they never disagree.
 */
export function bundledPipeline(name: string, dir: string): Record<string, unknown> {
  const files = pipelineFiles(dir);
  const file = files.get(name);
  if (!file) {
    const known = [...files.keys()];
    throw new PipelineNotFound(
      `no pipeline named '${name}' in ${dir} (${known.length ? `the deployment has ${known.join(', ')}` : 'the deployment has none'})`,
    );
  }
  const raw = readPipelineFile(file);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError(`${file}: not a pipeline definition (a YAML mapping)`);
  const declared = (raw as { name?: unknown }).name;
  if (declared !== name)
    throw new ConfigError(
      `${file}: name: must be ${name} (the file's name), not ${JSON.stringify(declared)}`,
    );
  return raw as Record<string, unknown>;
}

/** `overrides` over `base`: mappings merge key by key, anything else (lists too) replaces. */
export function mergeOverrides(base: unknown, overrides: unknown): unknown {
  const isMap = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isMap(base) || !isMap(overrides)) return overrides === undefined ? base : overrides;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) out[key] = mergeOverrides(base[key], value);
  return out;
}

/**
 * What starts the image pipeline: a bundled pipeline by name, optionally with overrides (what a
 * person types in the Step Functions console, what the API and the schedules send), or a full
 * definition as `config`.
 */
export const PipelineStartInput = z
  .object({
    pipeline: z
      .string()
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9-]{0,39}$/, 'a pipeline name: letters, digits and - (up to 40)')
      .optional(),
    overrides: z
      .record(z.string(), z.unknown())
      .refine((o) => !('name' in o), {
        message: 'the pipeline is named by `pipeline`: overrides may not change its name',
      })
      .optional(),
    config: z.unknown().optional(),
  })
  .strict()
  .superRefine((i, ctx) => {
    if ((i.pipeline === undefined) === (i.config === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [i.pipeline === undefined ? 'pipeline' : 'config'],
        message:
          i.pipeline === undefined
            ? 'give a pipeline of the deployment ({"pipeline": "office-apps"}) or a full definition ({"config": {...}})'
            : 'give either pipeline or config, not both',
      });
    if (i.overrides !== undefined && i.pipeline === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['overrides'],
        message: 'overrides apply to a pipeline given by name: change the config itself instead',
      });
  });

export type PipelineStart = z.input<typeof PipelineStartInput>;

/**
 * The raw pipeline definition an execution input stands for: `config` as given, or the bundled
 * pipeline `pipeline` with `overrides` merged over it. Throws ConfigError naming the field for a
 * malformed input, PipelineNotFound for an unknown name. The result is validated by the caller
 * (PipelineConfigSchema).
 */
export function pipelineDefinition(input: unknown, opts: { dir: string }): unknown {
  const parsed = PipelineStartInput.safeParse(input ?? {});
  if (!parsed.success) throw new ConfigError(`input: ${describeIssues(parsed.error)}`);
  const i = parsed.data;
  if (i.pipeline === undefined) return i.config;
  return mergeOverrides(bundledPipeline(i.pipeline, opts.dir), i.overrides);
}

/**
 * The pipeline an execution input names, without reading any file: `config.name` or `pipeline`
 * (the concurrency guard and the backstop read other executions' inputs with it).
 */
export function pipelineNameOf(input: unknown): string | undefined {
  if (input === null || typeof input !== 'object') return undefined;
  const i = input as { pipeline?: unknown; config?: { name?: unknown } };
  const name = i.config?.name ?? i.pipeline;
  return typeof name === 'string' ? name : undefined;
}

/**
 * Best effort, for reading other executions' inputs (backstop, sweep): the definition a run used,
 * `config` or the bundled pipeline it named with its overrides; a name the bundle no longer has
 * gives just `{name}`; anything else undefined.
 */
export function definitionOfRun(
  input: unknown,
  dir: string = pipelinesDirFrom(),
): Record<string, unknown> | undefined {
  if (input === null || typeof input !== 'object') return undefined;
  const i = input as { config?: unknown; pipeline?: unknown };
  if (i.config !== null && typeof i.config === 'object') return i.config as Record<string, unknown>;
  if (typeof i.pipeline !== 'string') return undefined;
  try {
    return pipelineDefinition(input, { dir }) as Record<string, unknown>;
  } catch {
    return { name: i.pipeline };
  }
}
