/**
 * The image pipeline state machine itself (statemachines/image-pipeline.asl.json on the local
 * runtime, against the emulator) started the way a person types it in the Step Functions console:
 * {"pipeline": "office-apps"} builds the bundled config/pipelines/office-apps.yaml.
 */
import { DescribeImagesCommand } from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import { localDeps } from '../../local/local-deps';
import { loadDefinition, localHandlers } from '../../local/pipeline';
import { runLocally } from '../../local/runner';
import { useEmulator } from '../helpers/emulator';

const f = useEmulator({ jitterSigma: 0 });

async function start(input: unknown, executionName: string) {
  const deps = localDeps(f.emu);
  try {
    const result = await runLocally({
      definition: loadDefinition(),
      input,
      executionName,
      handlers: localHandlers(deps),
      time: { now: () => f.emu.world.now(), advance: (ms) => f.emu.control.advance(ms) },
      region: deps.region,
    });
    return { result, deps };
  } finally {
    for (const c of deps.clients) c.destroy();
  }
}

describe('Image pipeline started by name (local runtime, the deployed state machine definition)', () => {
  it('{"pipeline": "office-apps"} builds the bundled definition, overrides applied', async () => {
    const { result } = await start(
      { pipeline: 'office-apps', overrides: { image: { tags: { 'cost-center': 'it-202' } } } },
      'office-apps-console-1',
    );
    expect(result.status, JSON.stringify(result.error ?? result.cause)).toBe('SUCCEEDED');
    const { plan, config } = result.output as {
      plan: { imageName: string };
      config: { name: string; image: { tags: Record<string, string> } };
    };
    expect(config.name).toBe('office-apps');
    expect(config.image.tags).toEqual({ 'cost-center': 'it-202' });
    const deps = localDeps(f.emu);
    try {
      const images = await deps
        .appstream('us-east-1')
        .send(new DescribeImagesCommand({ Names: [plan.imageName] }));
      expect(images.Images?.[0]).toMatchObject({ State: 'AVAILABLE', Platform: 'WINDOWS_SERVER_2022' });
    } finally {
      for (const c of deps.clients) c.destroy();
    }
  });

  it('an unknown name fails at Resolve with PipelineNotFound, launching nothing', async () => {
    const { result } = await start({ pipeline: 'office' }, 'office-console-2');
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PipelineNotFound');
    expect(result.cause).toContain(
      "no pipeline named 'office' in config/pipelines (the deployment has office-apps)",
    );
  });
});
