import {
  AppStreamClient,
  CreateImageBuilderCommand,
  DeleteImageBuilderCommand,
  DescribeImageBuildersCommand,
  DescribeImagesCommand,
} from '@aws-sdk/client-appstream';
import { startEmulator } from '../emulator';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Short flow against the in-process emulator: builder → Image Assistant → image → cleanup. */
export async function demoCommand(): Promise<void> {
  const started = Date.now();
  const emu = await startEmulator({ speed: 3600 });
  const client = new AppStreamClient({
    endpoint: emu.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'demo', secretAccessKey: 'demo' },
  });
  const log = (msg: string) => console.log(`[virtual ${new Date(emu.world.now()).toISOString()}] ${msg}`);
  const waitFor = async (what: string, read: () => Promise<string | undefined>, want: string) => {
    for (let state = await read(); state !== want; state = await read()) {
      if (state === 'FAILED') throw new Error(`${what} FAILED`);
      await sleep(100);
    }
    log(`${what} is ${want}`);
  };
  try {
    log(`emulator at ${emu.endpoint}`);
    await client.send(
      new CreateImageBuilderCommand({
        Name: 'demo-builder',
        InstanceType: 'stream.standard.medium',
        ImageName: 'AppStream-WinServer2022-10-14-2025',
      }),
    );
    const builderState = async () =>
      (await client.send(new DescribeImageBuildersCommand({ Names: ['demo-builder'] }))).ImageBuilders?.[0]
        ?.State;
    await waitFor('builder demo-builder', builderState, 'RUNNING');
    for (const argv of [
      ['add-application', '--name', 'notepad', '--absolute-app-path', 'C:\\Windows\\notepad.exe'],
      ['create-image', '--name', 'demo-image', '--tags', 'team', 'demo'],
    ]) {
      const out = emu.control.imageAssistant({ builderName: 'demo-builder', argv });
      log(`image-assistant ${argv[0]} → exit ${out.exitCode} ${JSON.stringify(out.output)}`);
    }
    const imageState = async () =>
      (await client.send(new DescribeImagesCommand({ Names: ['demo-image'] }))).Images?.[0]?.State;
    await waitFor('image demo-image', imageState, 'AVAILABLE');
    await waitFor('builder demo-builder', builderState, 'STOPPED');
    await client.send(new DeleteImageBuilderCommand({ Name: 'demo-builder' }));
    log('builder demo-builder deleted');
    console.log(`done in ${Date.now() - started} ms wall`);
  } finally {
    client.destroy();
    await emu.stop();
  }
}
