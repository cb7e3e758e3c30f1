import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  bundledPipeline,
  definitionOfRun,
  mergeOverrides,
  pipelineDefinition,
  pipelineNameOf,
  pipelinesDirFrom,
} from '../../../lib/config/catalog';
import { readPipelineFile, validatePipeline } from '../../../lib/config/load';
import { samplePipeline } from '../../helpers/pipeline';

const dir = 'config/pipelines';
const work = mkdtempSync(join(tmpdir(), 'catalog-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('Pipeline catalog: {"pipeline": "<name>"} starts a bundled pipeline', () => {
  it('reads config/pipelines/<name>.yaml, a definition the schema accepts', () => {
    const raw = pipelineDefinition({ pipeline: 'office-apps' }, { dir });
    expect(raw).toEqual(readPipelineFile('config/pipelines/office-apps.yaml'));
    expect(validatePipeline(raw).name).toBe('office-apps');
  });

  it('merges overrides over the bundled definition: mappings key by key, lists replaced', () => {
    const raw = pipelineDefinition(
      {
        pipeline: 'office-apps',
        overrides: {
          builder: { instanceType: 'stream.standard.large' },
          build: { applications: [{ name: 'calc', path: 'C:\\Windows\\System32\\calc.exe' }] },
        },
      },
      { dir },
    );
    const config = validatePipeline(raw);
    expect(config.builder.instanceType).toBe('stream.standard.large');
    // The rest of builder is the file's.
    expect(config.builder.image).toBe('latest:WINDOWS_SERVER_2022');
    expect(config.builder.tags).toEqual({ team: 'euc' });
    expect(config.build.applications.map((a) => a.name)).toEqual(['calc']);
    expect(config.build.commands).toHaveLength(2);
  });

  it('still accepts the full definition as {"config": …}', () => {
    const config = samplePipeline();
    expect(pipelineDefinition({ config }, { dir })).toEqual(config);
  });

  it('names the known pipelines when the name is unknown (PipelineNotFound)', () => {
    expect(() => pipelineDefinition({ pipeline: 'office-aps' }, { dir })).toThrow(
      expect.objectContaining({
        name: 'PipelineNotFound',
        message: "no pipeline named 'office-aps' in config/pipelines (the deployment has office-apps)",
      }),
    );
    expect(() => bundledPipeline('x', join(work, 'none'))).toThrow(/the deployment has none/);
  });

  it.each([
    [{}, 'input: pipeline: give a pipeline of the deployment'],
    [
      { pipeline: 'office-apps', config: samplePipeline() },
      'input: config: give either pipeline or config, not both',
    ],
    [{ pipeline: 'office-apps', builder: {} }, 'input: (root): Unrecognized key: "builder"'],
    [
      { pipeline: 'office-apps', overrides: { name: 'other' } },
      'input: overrides: the pipeline is named by `pipeline`',
    ],
    [
      { config: samplePipeline(), overrides: {} },
      'input: overrides: overrides apply to a pipeline given by name',
    ],
    [{ pipeline: '../etc/passwd' }, 'input: pipeline: a pipeline name'],
  ])('refuses a malformed input %j with a ConfigError naming the field', (input, message) => {
    expect(() => pipelineDefinition(input, { dir })).toThrow(
      expect.objectContaining({ name: 'ConfigError', message: expect.stringContaining(message) }),
    );
  });

  it("refuses a file whose name: isn't its file name", () => {
    const d = join(work, 'mismatch');
    mkdirSync(d);
    writeFileSync(join(d, 'nightly.yaml'), stringify(samplePipeline({ name: 'weekly' })));
    expect(() => pipelineDefinition({ pipeline: 'nightly' }, { dir: d })).toThrow(
      expect.objectContaining({
        name: 'ConfigError',
        message: expect.stringMatching(/nightly\.yaml: name: must be nightly/),
      }),
    );
  });

  it('finds the bundle under LAMBDA_TASK_ROOT (PIPELINES_DIR relative to the package)', () => {
    expect(pipelinesDirFrom({ LAMBDA_TASK_ROOT: '/var/task', PIPELINES_DIR: 'config/pipelines' })).toBe(
      '/var/task/config/pipelines',
    );
    expect(pipelinesDirFrom({ LAMBDA_TASK_ROOT: '/var/task' })).toBe('/var/task/config/pipelines');
    expect(pipelinesDirFrom({ PIPELINES_DIR: '/opt/pipelines' })).toBe('/opt/pipelines');
  });

  it('mergeOverrides: objects merge recursively, anything else replaces', () => {
    expect(mergeOverrides({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, e: 2 })).toEqual({
      a: { b: 1, c: [3] },
      d: 1,
      e: 2,
    });
    expect(mergeOverrides({ a: 1 }, undefined)).toEqual({ a: 1 });
  });
});

describe("Pipeline catalog: other executions' inputs (concurrency guard, backstop)", () => {
  it('names the pipeline of either input form without reading a file', () => {
    expect(pipelineNameOf({ pipeline: 'office-apps' })).toBe('office-apps');
    expect(pipelineNameOf({ config: { name: 'e2e' } })).toBe('e2e');
    expect(pipelineNameOf({ dryRun: true })).toBeUndefined();
    expect(pipelineNameOf('x')).toBeUndefined();
  });

  it('gives the definition a run used: its config, or the bundled one with its overrides', () => {
    expect(definitionOfRun({ config: { name: 'e2e', region: 'eu-west-1' } }, dir)).toEqual({
      name: 'e2e',
      region: 'eu-west-1',
    });
    const byName = definitionOfRun(
      { pipeline: 'office-apps', overrides: { builder: { whenDone: 'delete' } } },
      dir,
    );
    expect(byName).toMatchObject({
      name: 'office-apps',
      region: 'us-east-1',
      builder: { whenDone: 'delete' },
    });
    // A pipeline no longer bundled: its name, so its builders are still found by tag.
    expect(definitionOfRun({ pipeline: 'gone' }, dir)).toEqual({ name: 'gone' });
    expect(definitionOfRun({ dryRun: true }, dir)).toBeUndefined();
  });
});
