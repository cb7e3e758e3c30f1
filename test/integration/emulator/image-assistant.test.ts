import {
  DescribeImageBuildersCommand,
  DescribeImagesCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import { readPipelineFile, validatePipeline } from '../../../lib/config/load';
import { buildJob } from '../../../lib/pipeline/build';
import { builderState, createBuilder, imageState, runningBuilder } from '../../helpers/builders';
import { MIN, useEmulator } from '../../helpers/emulator';

const f = useEmulator();
const LINUX = 'AppStream-AmazonLinux2-09-21-2025';

const assistant = (argv: string[], builderName = 'b1') => f.emu.control.imageAssistant({ builderName, argv });
const addApp = (name: string) =>
  assistant(['add-application', '--name', name, '--absolute-app-path', `C:\\${name}.exe`]);
const addPath = (path: string, name = 'app', builderName = 'b1') =>
  assistant(['add-application', '--name', name, '--absolute-app-path', path], builderName);
/** The CLI's documented error answer: exit code 1, `{"status": 1, "message": ...}`. */
const refused = (message: string) => ({ exitCode: 1, output: { status: 1, message } });
const SUCCESS = { exitCode: 0, output: { status: 0, message: 'Success' } };

async function runningLinuxBuilder(name = 'lx') {
  await createBuilder(f.client(), name, { ImageName: LINUX });
  f.emu.control.advance(13 * MIN);
}

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
    expect(addApp('notepad')).toEqual(refused('Name is not unique'));
    expect(assistant(['remove-application', '--name', 'notepad'])).toEqual(SUCCESS);
    expect(assistant(['remove-application', '--name', 'notepad'])).toEqual(refused('App not found'));
  });

  it('limits the catalog to 50 applications', async () => {
    await runningBuilder(f.emu, f.client());
    for (let i = 0; i < 50; i++) expect(addApp(`app${i}`).exitCode).toBe(0);
    expect(addApp('app50')).toEqual(refused('Unable to add more than 50 apps to the catalog.'));
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
    expect(assistant(['create-image', '--name', 'img1'], 'b2')).toEqual(
      refused('An image with the given name already exists'),
    );
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

describe('Emulator: Image Assistant add-application on a Windows builder', () => {
  it('accepts .exe, .bat and .lnk applications, whatever the case of the extension', async () => {
    await runningBuilder(f.emu, f.client());
    expect(addPath('C:\\Program Files\\Notepad++\\notepad++.exe', 'npp')).toEqual(SUCCESS);
    expect(addPath('C:\\Tools\\start.BAT', 'start')).toEqual(SUCCESS);
    expect(addPath('C:\\ProgramData\\Microsoft\\Windows\\Start Menu\\Programs\\Tool.Lnk', 'tool')).toEqual(
      SUCCESS,
    );
    expect(addPath('C:\\WINDOWS\\SYSTEM32\\CALC.EXE', 'calc')).toEqual(SUCCESS);
    expect(assistant(['list-applications']).output.applications).toHaveLength(4);
  });

  it('refuses every other file type (scripts included) and adds nothing', async () => {
    await runningBuilder(f.emu, f.client());
    for (const path of [
      'C:\\Scripts\\launch.ps1',
      'C:\\Scripts\\launch.cmd',
      'C:\\Scripts\\launch.vbs',
      'C:\\Installers\\app.msi',
      'C:\\Tools\\app.com',
      'C:\\Tools\\readme.exe.txt',
      'C:\\Tools\\app',
    ])
      expect(addPath(path), path).toEqual(refused('Unsupported file extension'));
    expect(assistant(['list-applications']).output.applications).toEqual([]);
  });

  it('runs a PowerShell script through powershell.exe with launch parameters, as AWS documents', async () => {
    await runningBuilder(f.emu, f.client());
    expect(
      assistant([
        'add-application',
        '--name',
        'launcher',
        '--absolute-app-path',
        'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
        '--launch-parameters',
        '-ExecutionPolicy Bypass -file "C:\\Scripts\\launch.ps1"',
      ]),
    ).toEqual(SUCCESS);
  });

  it('refuses applications installed under C:\\Users: any case, / or \\, .. and \\\\?\\ resolved', async () => {
    await runningBuilder(f.emu, f.client());
    for (const path of [
      'C:\\Users\\Public\\app.exe',
      'c:\\users\\alice\\AppData\\Local\\Programs\\app.exe',
      'C:\\USERS\\alice\\Desktop\\Tool.lnk',
      'C:/Users/alice/app.exe',
      'c:/users\\alice/run.bat',
      'C:\\Program Files\\..\\Users\\alice\\app.exe',
      'C:\\\\Users\\\\alice\\\\app.exe',
      '\\\\?\\C:\\Users\\alice\\app.exe',
    ]) {
      const out = addPath(path);
      expect(out, path).toEqual(refused('Any application installed under C:\\Users is not supported'));
    }
    expect(assistant(['list-applications']).output.applications).toEqual([]);
  });

  it('refuses the other ways to C:\\Users: the Documents and Settings junction, admin shares, \\\\?\\UNC, trailing dots', async () => {
    const client = f.client();
    await runningBuilder(f.emu, client);
    const [builder] = (await client.send(new DescribeImageBuildersCommand({ Names: ['b1'] }))).ImageBuilders!;
    const ip = builder.NetworkAccessConfiguration?.EniPrivateIpAddress;
    expect(ip).toBeTruthy();
    for (const path of [
      'C:\\Documents and Settings\\u\\a.exe',
      'c:\\DOCUME~1\\u\\a.exe',
      '\\\\localhost\\C$\\Users\\a.exe',
      '\\\\127.0.0.1\\c$\\users\\u\\a.exe',
      '//LOCALHOST/c$/Users/u/a.exe',
      '\\\\localhost\\c$\\Documents and Settings\\u\\a.exe',
      `\\\\${ip}\\c$\\Users\\u\\a.exe`,
      '\\\\b1\\C$\\Users\\u\\a.exe',
      '\\\\?\\UNC\\localhost\\c$\\Users\\u\\a.exe',
      '\\\\.\\C:\\Users\\u\\a.exe',
      'C:\\Users.\\u\\a.exe',
      'C:\\Users \\u\\a.exe',
      'C:\\Users::$INDEX_ALLOCATION\\u\\a.exe',
      'C:\\Users:$I30:$INDEX_ALLOCATION\\u\\a.exe',
    ])
      expect(addPath(path), path).toEqual(
        refused('Any application installed under C:\\Users is not supported'),
      );
    // Unexpanded environment variables are not absolute paths (the CLI is not documented to expand them).
    for (const path of ['%USERPROFILE%\\a.exe', '%HOMEDRIVE%%HOMEPATH%\\a.exe', 'C:\\%APPDATA%\\a.exe'])
      expect(addPath(path), path).toEqual(refused('File not found (absolute-app-path)'));
    expect(assistant(['list-applications']).output.applications).toEqual([]);
    // Other hosts' shares are not this builder's C:\\Users; "Users" has no 8.3 alias (USERS~1 is another folder).
    expect(addPath('\\\\fileserver\\c$\\Users\\a.exe', 'remote')).toEqual(SUCCESS);
    expect(addPath('\\\\localhost\\d$\\Users\\a.exe', 'other-drive')).toEqual(SUCCESS);
    expect(addPath('C:\\USERS~1\\a.exe', 'short')).toEqual(SUCCESS);
    expect(addPath('C:\\Program Files\\100%\\a.exe', 'percent')).toEqual(SUCCESS);
  });

  it('accepts paths that only look like C:\\Users, and C:\\Users in launch parameters', async () => {
    await runningBuilder(f.emu, f.client());
    expect(addPath('C:\\UsersData\\app.exe', 'a')).toEqual(SUCCESS);
    expect(addPath('D:\\Users\\app.exe', 'b')).toEqual(SUCCESS);
    expect(addPath('C:\\Program Files\\Users\\app.exe', 'c')).toEqual(SUCCESS);
    expect(addPath('C:/Program Files/7-Zip/7zFM.exe', 'd')).toEqual(SUCCESS);
    expect(
      assistant([
        'add-application',
        '--name',
        'calc',
        '--absolute-app-path',
        'C:\\Windows\\System32\\calc.exe',
        '--launch-parameters',
        '"C:\\Users\\Public\\Documents\\start here.txt"',
      ]),
    ).toEqual(SUCCESS);
  });

  it('refuses paths that are not absolute Windows paths', async () => {
    await runningBuilder(f.emu, f.client());
    for (const path of ['notepad.exe', 'Windows\\notepad.exe', 'C:notepad.exe', '/usr/bin/firefox'])
      expect(addPath(path), path).toEqual(refused('File not found (absolute-app-path)'));
  });

  it('checks the name (up to 256 characters, no whitespace) and the optional paths', async () => {
    await runningBuilder(f.emu, f.client());
    expect(addPath('C:\\a.exe', 'x'.repeat(256))).toEqual(SUCCESS);
    expect(addPath('C:\\a.exe', 'Notepad++')).toEqual(SUCCESS);
    for (const name of ['x'.repeat(257), 'my app', 'tab\tname'])
      expect(addPath('C:\\a.exe', name)).toEqual(refused('Invalid value (name)'));
    const add = (...extra: string[]) =>
      assistant(['add-application', '--name', 'opt', '--absolute-app-path', 'C:\\a.exe', ...extra]);
    expect(add('--display-name', 'd'.repeat(257))).toEqual(refused('Invalid value (display-name)'));
    expect(add('--absolute-icon-path', 'C:\\icons\\a.ico')).toEqual(
      refused('Invalid value (absolute-icon-path)'),
    );
    expect(add('--working-directory', 'work')).toEqual(refused('Directory not found (working-directory)'));
    expect(add('--absolute-manifest-path', 'manifest.txt')).toEqual(
      refused('Optimization-manifest not found: manifest.txt'),
    );
    expect(add('--frobnicate', 'x')).toEqual(refused("Unknown option '--frobnicate'"));
    expect(assistant(['add-application', '--name', 'n'])).toEqual(
      refused('Missing required argument --absolute-app-path'),
    );
    expect(
      add(
        '--display-name',
        'Opt',
        '--absolute-icon-path',
        'C:\\icons\\a.PNG',
        '--working-directory',
        'C:\\work',
        '--absolute-manifest-path',
        'C:\\manifest.txt',
      ),
    ).toEqual(SUCCESS);
    expect(assistant(['list-applications']).output.applications).toHaveLength(3);
  });

  it("accepts the sample pipeline's applications (examples/office-apps.yaml)", async () => {
    await runningBuilder(f.emu, f.client());
    const config = validatePipeline(readPipelineFile('examples/office-apps.yaml'));
    const plan = { imageName: 'office', imageTags: {}, execution: 'e1', builderName: 'b1' } as never;
    const steps = buildJob(config, plan, new Date(0).toISOString()).steps.filter(
      (s) => s.kind === 'image-assistant',
    );
    expect(steps.length).toBeGreaterThan(3);
    for (const step of steps) {
      const out = assistant(step.argv);
      expect(out.exitCode, `${step.id}: ${out.output.message}`).toBe(step.id.startsWith('remove-') ? 1 : 0);
    }
  });
});

describe('Emulator: Image Assistant on a Linux builder (AppStreamImageAssistant)', () => {
  it('accepts absolute POSIX paths of any file type, also as --flag=value', async () => {
    await runningLinuxBuilder();
    expect(addPath('/usr/lib64/chromium-browser/chromium-browser', 'chromium', 'lx')).toEqual(SUCCESS);
    expect(addPath('/usr/local/bin/firefox-jp.sh', 'firefox', 'lx')).toEqual(SUCCESS);
    expect(
      assistant(
        [
          'add-application',
          '--name=gedit',
          '--absolute-app-path=/usr/bin/gedit',
          '--display-name=Text Editor',
          '--absolute-icon-path=/usr/share/icons/gedit.png',
        ],
        'lx',
      ),
    ).toEqual(SUCCESS);
    expect(assistant(['list-applications'], 'lx').output.applications).toContainEqual({
      Name: 'gedit',
      AbsoluteAppPath: '/usr/bin/gedit',
      DisplayName: 'Text Editor',
      AbsoluteIconPath: '/usr/share/icons/gedit.png',
    });
  });

  it('refuses relative and Windows paths', async () => {
    await runningLinuxBuilder();
    for (const path of ['bin/firefox', 'firefox', 'C:\\Windows\\notepad.exe'])
      expect(addPath(path, 'app', 'lx'), path).toEqual(refused('File not found (absolute-app-path)'));
  });

  it('has no update-default-profile or reset-user-profile, and creates Linux images', async () => {
    const client = f.client();
    await runningLinuxBuilder();
    expect(assistant(['update-default-profile'], 'lx').output.message).toContain('not supported');
    expect(assistant(['reset-user-profile', '--profile', '.\\u'], 'lx').exitCode).toBe(1);
    addPath('/usr/bin/firefox', 'firefox', 'lx');
    expect(assistant(['create-image', '--name', 'linux-img'], 'lx')).toEqual(SUCCESS);
    f.emu.control.advance(41 * MIN);
    const [image] = (await client.send(new DescribeImagesCommand({ Names: ['linux-img'] }))).Images!;
    expect(image).toMatchObject({ State: 'AVAILABLE', Platform: 'AMAZON_LINUX2' });
  });
});

describe('Emulator: Image Assistant output and create-image rules', () => {
  it('answers over the control route with the CLI exit code and JSON output', async () => {
    await runningBuilder(f.emu, f.client());
    const res = await fetch(`${f.emu.endpoint}/_emulator/image-assistant`, {
      method: 'POST',
      body: JSON.stringify({
        builderName: 'b1',
        argv: ['add-application', '--name', 'x', '--absolute-app-path', 'C:\\x.ps1'],
      }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(refused('Unsupported file extension'));
  });

  it('create-image does not require the applications to have been launched (CLI, unlike the GUI)', async () => {
    const client = f.client();
    await runningBuilder(f.emu, client);
    addApp('never-launched');
    expect(assistant(['create-image', '--name', 'img1'])).toEqual(SUCCESS);
    expect(await builderState(client)).toBe('SNAPSHOTTING');
  });

  it('create-image without applications needs the dynamic app catalog; the later of --x/--no-x wins', async () => {
    await runningBuilder(f.emu, f.client());
    expect(
      assistant([
        'create-image',
        '--name',
        'img1',
        '--enable-dynamic-app-catalog',
        '--no-enable-dynamic-app-catalog',
      ]).exitCode,
    ).toBe(1);
    expect(
      assistant([
        'create-image',
        '--name',
        'img1',
        '--no-enable-dynamic-app-catalog',
        '--enable-dynamic-app-catalog',
      ]),
    ).toEqual(SUCCESS);
  });

  it('create-image refuses invalid tags, descriptions and display names', async () => {
    await runningBuilder(f.emu, f.client());
    addApp('a');
    const create = (...extra: string[]) => assistant(['create-image', '--name', 'img1', ...extra]);
    expect(create('--tags', 'team')).toEqual(refused('Invalid value (tags)'));
    expect(create('--tags', 'aws:team', 'x')).toEqual(refused('Invalid value (tags)'));
    expect(create('--tags', 'k'.repeat(129), 'x')).toEqual(refused('Invalid value (tags)'));
    const tooMany = Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']).flat();
    expect(create('--tags', ...tooMany)).toEqual(refused('Invalid value (tags)'));
    expect(create('--description', 'd'.repeat(257))).toEqual(refused('Invalid value (description)'));
    expect(create('--display-name', 'd'.repeat(257))).toEqual(refused('Invalid value (display-name)'));
    expect(create('--dry-run=yes')).toEqual(refused('Invalid value (dry-run)'));
    expect(create('--tags', 'team', 'euc', '--dry-run')).toMatchObject({ exitCode: 0 });
  });

  it('update-default-profile copies a local profile; a domain user needs a domain-joined builder', async () => {
    await runningBuilder(f.emu, f.client());
    expect(assistant(['update-default-profile'])).toEqual(SUCCESS);
    expect(assistant(['update-default-profile', '--profile', '.\\Administrator'])).toEqual(SUCCESS);
    expect(assistant(['update-default-profile', '--profile', 'corp\\alice'])).toEqual(
      refused('Cannot copy a domain user when not joined to a domain'),
    );
  });

  it('lists its operations with help', async () => {
    await runningBuilder(f.emu, f.client());
    expect(assistant(['help']).output).toMatchObject({
      status: 0,
      operations: expect.arrayContaining(['add-application', 'create-image']),
    });
  });
});
