import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError } from '../errors';
import { describeIssues, type PipelineConfig, PipelineConfigSchema } from './pipeline';

/** Reads a pipeline YAML (or JSON) file; syntax errors name the line, schema errors the field. */
export function readPipelineFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: ${(err as Error).message}`);
  }
  try {
    return parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: ${(err as Error).message}`);
  }
}

export function validatePipeline(raw: unknown, source = 'pipeline'): PipelineConfig {
  const parsed = PipelineConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`${source}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}
