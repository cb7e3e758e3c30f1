import { DescribeImagesCommand, ListTagsForResourceCommand } from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import { builderState, createBuilder, imageState, runningBuilder } from '../../helpers/builders';
import { MIN, useEmulator } from '../../helpers/emulator';

const f = useEmulator();

const assistant = (argv: string[], builderName = 'b1') => f.emu.control.imageAssistant({ builderName, argv });
const addApp = (name: string) =>
  assistant(['add-application', '--name', name, '--absolute-app-path', `C:\\${name}.exe`]);

describe('Emulator: Image Assistant CLI on a builder', () => {
  it('adds, lists and removes applications', async () => {
    await runningBuilder(f.emu, f.client());
    expect(
      assistant([
        'add-application',
        '--name',
        'notepad',
        '--absolute-app-path',
        'C:\\Windows\\notepad.exe',
        '--display-name',
        'Notepad',
        '--launch-parameters',
        '"C:\\path with spaces\\file.txt"',
      ]),
    ).toEqual({ exitCode: 0, output: { status: 0, message: 'Success' } });
    expect(assistant(['list-applications']).output.applications).toEqual([
      {
        Name: 'notepad',
        AbsoluteAppPath: 'C:\\Windows\\notepad.exe',
        DisplayName: 'Notepad',
        LaunchParameters: '"C:\\path with spaces\\file.txt"',
      },
    ]);
    expect(addApp('notepad')).toMatchObject({
      exitCode: 1,
      output: { status: 1, message: expect.stringContaining('already exists') },
    });
    expect(assistant(['remove-application', '--name', 'notepad']).exitCode).toBe(0);
    expect(assistant(['remove-application', '--name', 'notepad']).exitCode).toBe(1);
  });

  it('limits the catalog to 50 applications', async () => {
    await runningBuilder(f.emu, f.client());
    for (let i = 0; i < 50; i++) expect(addApp(`app${i}`).exitCode).toBe(0);
    expect(addApp('app50')).toMatchObject({
      exitCode: 1,
      output: { message: expect.stringContaining('50') },
    });
  });

  it('create-image needs at least one application', async () => {
    await runningBuilder(f.emu, f.client());
    expect(assistant(['create-image', '--name', 'img'])).toMatchObject({
      exitCode: 1,
      output: { message: expect.stringContaining('At least one application') },
    });
  });

  it('create-image enforces the name rules and unique names', async () => {
    const client = f.client();
    await runningBuilder(f.emu, client);
    addApp('a');
    for (const bad of ['AppStreamImage', 'aws-x', 'AmazonThing', 'has space', '-lead'])
      expect(assistant(['create-image', '--name', bad]).exitCode).toBe(1);
    expect(assistant(['create-image', '--name', 'img1']).exitCode).toBe(0);
    f.emu.control.advance(41 * MIN);
    await client.send(new DescribeImagesCommand({ Names: ['img1'] }));
    f.emu.control.advance(1);
    // The builder is STOPPED now; start another to try the same name.
    await runningBuilder(f.emu, client, 'b2');
    assistant(['add-application', '--name', 'a', '--absolute-app-path', 'C:\\a.exe'], 'b2');
    expect(assistant(['create-image', '--name', 'img1'], 'b2')).toMatchObject({
      exitCode: 1,
      output: { message: expect.stringContaining('already exists') },
    });
  });

  it('--dry-run validates without snapshotting', async () => {
    const client = f.client();
    await runningBuilder(f.emu, client);
    addApp('a');
    expect(assistant(['create-image', '--name', 'img1', '--dry-run']).exitCode).toBe(0);
    expect(await builderState(client)).toBe('RUNNING');
    expect((await client.send(new DescribeImagesCommand({ Type: 'PRIVATE' }))).Images).toEqual([]);
  });

  it('snapshots: builder SNAPSHOTTING then STOPPED while the image goes PENDING then AVAILABLE, with tags', async () => {
    const client = f.client();
    await runningBuilder(f.emu, client);
    addApp('a');
    expect(
      assistant([
        'create-image',
        '--name',
        'img1',
        '--display-name',
        'Image 1',
        '--tags',
        'team',
        'euc',
        'cost',
        'it',
        '--use-latest-agent-version',
      ]),
    ).toEqual({ exitCode: 0, output: { status: 0, message: 'Success' } });
    expect(await builderState(client)).toBe('SNAPSHOTTING');
    expect(await imageState(client, 'img1')).toBe('PENDING');
    f.emu.control.advance(39 * MIN);
    expect(await imageState(client, 'img1')).toBe('PENDING');
    f.emu.control.advance(1 * MIN);
    expect(await imageState(client, 'img1')).toBe('AVAILABLE');
    expect(await builderState(client)).toBe('STOPPED');
    const [image] = (await client.send(new DescribeImagesCommand({ Names: ['img1'] }))).Images!;
    expect(image).toMatchObject({ DisplayName: 'Image 1', ImageBuilderName: 'b1', Visibility: 'PRIVATE' });
    expect((await client.send(new ListTagsForResourceCommand({ ResourceArn: image.Arn! }))).Tags).toEqual({
      team: 'euc',
      cost: 'it',
    });
  });

  it('runs only on a RUNNING builder', async () => {
    await createBuilder(f.client());
    expect(() => addApp('a')).toThrow(expect.objectContaining({ code: 'BuilderNotReachable' }));
  });

  it('answers unknown commands with exit code 1', async () => {
    await runningBuilder(f.emu, f.client());
    expect(assistant(['frobnicate']).exitCode).toBe(1);
  });
});
