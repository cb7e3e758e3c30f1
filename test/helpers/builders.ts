import {
  type AppStreamClient,
  CreateFleetCommand,
  CreateImageBuilderCommand,
  CreateStackCommand,
  DescribeImageBuildersCommand,
  DescribeImagesCommand,
} from '@aws-sdk/client-appstream';
import type { RunningEmulator } from '../../emulator';
import { MIN, WIN2022 } from './emulator';

export async function createBuilder(
  client: AppStreamClient,
  name = 'b1',
  extra: Record<string, unknown> = {},
) {
  const out = await client.send(
    new CreateImageBuilderCommand({
      Name: name,
      InstanceType: 'stream.standard.medium',
      ImageName: WIN2022,
      ...extra,
    }),
  );
  return out.ImageBuilder!;
}

export async function builderState(client: AppStreamClient, name = 'b1') {
  return (await client.send(new DescribeImageBuildersCommand({ Names: [name] }))).ImageBuilders![0].State;
}

export async function imageState(client: AppStreamClient, name: string) {
  return (await client.send(new DescribeImagesCommand({ Names: [name] }))).Images![0].State;
}

/** A RUNNING builder (launch takes 12 virtual minutes by default). */
export async function runningBuilder(emu: RunningEmulator, client: AppStreamClient, name = 'b1') {
  await createBuilder(client, name);
  emu.control.advance(13 * MIN);
}

/** A private AVAILABLE image named `name`, built through the Image Assistant. */
export async function privateImage(
  emu: RunningEmulator,
  client: AppStreamClient,
  name = 'img1',
  builder = `${name}-b`,
) {
  await runningBuilder(emu, client, builder);
  for (const argv of [
    ['add-application', '--name', 'notepad', '--absolute-app-path', 'C:\\Windows\\notepad.exe'],
    ['create-image', '--name', name],
  ]) {
    const out = emu.control.imageAssistant({ builderName: builder, argv });
    if (out.exitCode !== 0) throw new Error(JSON.stringify(out.output));
  }
  emu.control.advance(41 * MIN);
}

export async function createFleet(client: AppStreamClient, name = 'f1', extra: Record<string, unknown> = {}) {
  const out = await client.send(
    new CreateFleetCommand({
      Name: name,
      InstanceType: 'stream.standard.medium',
      ImageName: WIN2022,
      ComputeCapacity: { DesiredInstances: 2 },
      ...extra,
    }),
  );
  return out.Fleet!;
}

export async function createStack(client: AppStreamClient, name = 's1') {
  return (await client.send(new CreateStackCommand({ Name: name }))).Stack!;
}
