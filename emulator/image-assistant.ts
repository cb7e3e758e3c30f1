import { posix, win32 } from 'node:path';
import type { Ctx } from './context';
import { ServiceError } from './errors';
import { imageNameProblem } from './operations/images';
import type { AssistantApp, BuilderRec, ImageRec } from './records';
import { LATEST_AGENT_VERSION } from './seed';

/*
 * The Image Assistant CLI (image-assistant.exe on Windows builders, AppStreamImageAssistant on
 * Linux builders) as documented in the AppStream 2.0 Administration Guide, "Create Your AppStream
 * 2.0 Image Programmatically by Using the Image Assistant CLI Operations"
 * (programmatically-create-image.md, section "Image Assistant CLI Operations for Creating and
 * Managing Your AppStream 2.0 Image"; "Image Assistant CLI Tool for Linux", image-assistant-cli.md):
 * - Output is JSON on stdout, `{"status": N, "message": "..."}`: exit 0 / status 0 "Success";
 *   exit 1 / status 1 for the documented (known) errors; exit 255 / status 255 for an unexpected
 *   error. Documented messages are used verbatim (see MSG).
 * - add-application: --name "unique ... maximum length is 256 characters ... up to 50
 *   applications ... cannot use whitespace characters"; --absolute-app-path "the absolute path to
 *   the executable file, batch file, or script ... must point to a valid file"; --display-name
 *   max 256; --absolute-icon-path ".jpg, .png, or .bmp".
 * - File types (Windows): the CLI's error table says "Unsupported file extension: The
 *   Absolute-app-path parameter only supports the following file types: .exe and .bat"; the
 *   troubleshooting page ("I get an error when I add my installed application",
 *   troubleshooting-image-builder.md) says "You can add applications of the types .exe, .lnk, and
 *   .bat". No other script type is documented: a PowerShell script is launched through
 *   powershell.exe with `-file "C:\...\Script.ps1"` as launch parameters (same troubleshooting
 *   page, "I want to use a Windows PowerShell script to open my applications"). So .exe, .bat and
 *   .lnk are accepted (case-insensitively, as Windows file names are), anything else is refused.
 *   Searched the docs, pages and code corpora (Image Assistant CLI page, agent release notes,
 *   troubleshooting pages) for a newer CLI or agent version accepting .ps1 or other script types
 *   directly: nothing found, so they stay refused.
 * - The same troubleshooting entry: "Any application installed under C:\Users is not supported".
 *   That sentence is the refusal message (MSG.underUsers; the CLI's own text for this case is
 *   not documented). The check is on the path as Windows resolves it (`normalizeWindows`):
 *   case-insensitive, '/' or '\' (Windows accepts both; scripts in the wild call
 *   image-assistant.exe with 'C:/PROGRA~1/...'), '.' and '..' resolved, device prefixes, the
 *   builder's own admin share and the C:\Documents and Settings junction seen through.
 * - Linux builders: absolute POSIX paths with any file type (the Linux tutorials add
 *   /usr/lib64/chromium-browser/chromium-browser and .sh launch scripts); `--flag=value` is
 *   accepted too (tutorial-create-linux-image.md uses it); update-default-profile and
 *   reset-user-profile are "not supported by the Linux image assistant CLI tool".
 * - The emulator has no file system: "must point to a valid file" is modelled as "must be an
 *   absolute path" (a relative path answers the documented "File not found (...)" message).
 * - create-image: name rules of CreateImage; description and display name max 256; "An image with
 *   the given name already exists"; "Invalid value (tags)". At least one application unless
 *   --enable-dynamic-app-catalog: not in the CLI's error table, but reported from the field
 *   (awslabs/aws-virtual-application-management issue #16: "the image creation process [fails]
 *   with an error that at least one application is required" when the dynamic catalog is not set).
 * - create-image does NOT refuse applications that were never launched. The GUI's Optimize step
 *   launches each app ("required steps that are performed on all applications in the list",
 *   tutorial-image-builder.md), but the CLI replaces it with --absolute-manifest-path ("When you
 *   do so by using the Image Assistant CLI operations, you can specify the files to optimize for
 *   your application launch", "Optimizing the Launch Performance of Your Applications with the
 *   Image Assistant CLI Operations"), and create-image's documented errors contain no such case.
 */

/** What the Image Assistant CLI prints (JSON on stdout) and its exit code. */
export interface AssistantResult {
  exitCode: 0 | 1 | 255;
  output: { status: number; message: string; [k: string]: unknown };
}

const MAX_APPS = 50;
const MAX_APP_NAME = 256;
const MAX_TEXT = 256;

/** The documented messages, verbatim. */
const MSG = {
  tooMany: `Unable to add more than ${MAX_APPS} apps to the catalog.`,
  notUnique: 'Name is not unique',
  appNotFound: 'File not found (absolute-app-path)',
  unsupported: 'Unsupported file extension',
  /** Troubleshooting page, "I get an error when I add my installed application" (no CLI text is documented for it). */
  underUsers: 'Any application installed under C:\\Users is not supported',
  dirNotFound: 'Directory not found (working-directory)',
  manifestNotFound: (file: string) => `Optimization-manifest not found: ${file}`,
  removeNotFound: 'App not found',
  imageExists: 'An image with the given name already exists',
  invalid: (what: string) => `Invalid value (${what})`,
} as const;

const WINDOWS_APP_TYPES = ['.exe', '.bat', '.lnk'];
const ICON_TYPES = ['.jpg', '.png', '.bmp'];

const ok = (message = 'Success', extra: Record<string, unknown> = {}): AssistantResult => ({
  exitCode: 0,
  output: { status: 0, message, ...extra },
});
const known = (message: string): AssistantResult => ({ exitCode: 1, output: { status: 1, message } });
const unexpected = (message: string): AssistantResult => ({
  exitCode: 255,
  output: { status: 255, message },
});

interface Parsed {
  opts: Map<string, string>;
  tags: string[];
  bad?: string;
}

/**
 * Parses `--flag value` and `--flag=value` pairs; `--tags` takes the words after it; boolean
 * flags take nothing. Only the operation's own flags are accepted.
 */
function parse(argv: string[], valued: readonly string[], booleans: readonly string[] = []): Parsed {
  const opts = new Map<string, string>();
  const tags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) return { opts, tags, bad: `Unexpected argument '${a}'` };
    const eq = a.indexOf('=');
    const flag = eq < 0 ? a.slice(2) : a.slice(2, eq);
    const inline = eq < 0 ? undefined : a.slice(eq + 1);
    if (booleans.includes(flag)) {
      if (inline !== undefined) return { opts, tags, bad: MSG.invalid(flag) };
      // `--no-x` turns `x` off; the later of `--x` / `--no-x` wins.
      const negated = flag.startsWith('no-') && booleans.includes(flag.slice(3));
      opts.set(negated ? flag.slice(3) : flag, negated ? 'false' : 'true');
    } else if (flag === 'tags' && valued.includes('tags')) {
      if (inline !== undefined) tags.push(inline);
      while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) tags.push(argv[++i]);
    } else if (valued.includes(flag)) {
      if (inline !== undefined) opts.set(flag, inline);
      else if (i + 1 < argv.length) opts.set(flag, argv[++i]);
      else return { opts, tags, bad: `Missing value for --${flag}` };
    } else {
      return { opts, tags, bad: `Unknown option '--${flag}'` };
    }
  }
  return { opts, tags };
}

const isWindows = (builder: BuilderRec) => builder.platform.startsWith('WINDOWS');

/**
 * An unexpanded environment variable (`%USERPROFILE%`, `%HOMEDRIVE%%HOMEPATH%`). Whether the CLI
 * expands them in --absolute-app-path is not documented (its table only says the path must be
 * absolute and "point to a valid file"), so such a path is treated as not absolute: "File not
 * found (...)". This also closes `%USERPROFILE%\app.exe` as a way around the C:\Users rule.
 */
const ENV_VAR = /%[A-Za-z_][A-Za-z0-9_()]*%/;

/** A Windows absolute path: drive letter + separator, or UNC / device path; no `%VAR%`. */
const isWindowsAbsolute = (p: string) =>
  (/^[A-Za-z]:[\\/]/.test(p) || /^[\\/]{2}[^\\/]/.test(p)) && !ENV_VAR.test(p);

/** Host names a builder reaches itself by through an admin share (`\\localhost\C$\...`). */
const LOOPBACK_HOSTS = /^(localhost|127(\.\d{1,3}){3}|0--1\.ipv6-literal\.net|\.)$/;

/**
 * The path as Windows resolves it, for the C:\Users rule: lower-cased; '/' → '\'; `\\?\` and
 * `\\.\` device prefixes dropped (`\\?\UNC\host\share` → `\\host\share`); '.'/'..' resolved;
 * trailing dots and spaces of each component dropped (Win32 does that outside `\\?\` paths:
 * `C:\Users.\x` is `C:\Users\x`); the builder's own administrative share (`\\localhost\C$\`,
 * `\\127.0.0.1\c$\`, its own private IP or name) → `c:\`; and the legacy junction
 * `C:\Documents and Settings` (8.3 name `DOCUME~1`), which points to C:\Users on every Windows
 * since Vista, → `c:\users`; a directory's `::$INDEX_ALLOCATION` stream suffix dropped.
 * 8.3 short names: a name that already fits 8.3 ("Users") has no separate short name, so
 * `C:\USERS~1` is not an alias of C:\Users (it is an ordinary, here nonexistent, folder); only
 * long names get `~N` aliases, and of those only DOCUME~1 is known to lead to C:\Users.
 */
function normalizeWindows(p: string, selfHosts: string[] = []): string {
  let plain = p.replace(/\//g, '\\');
  const device = /^\\\\[?.]\\/.test(plain);
  if (device) {
    plain = plain.slice(4);
    if (/^unc\\/i.test(plain)) plain = `\\\\${plain.slice(4)}`;
  }
  let n = win32.normalize(plain).toLowerCase();
  // NTFS names a directory's index stream too: `C:\Users::$INDEX_ALLOCATION\x` is C:\Users\x.
  n = n.replace(/:(\$i30)?:\$index_allocation(?=\\|$)/g, '');
  if (!device) n = n.replace(/[. ]+(?=\\|$)/g, (m, at: number) => (at > 0 && n[at - 1] !== '\\' ? '' : m));
  const unc = /^\\\\([^\\]+)\\([a-z])\$(\\.*)?$/.exec(n);
  if (unc && (LOOPBACK_HOSTS.test(unc[1]) || selfHosts.includes(unc[1]))) n = `${unc[2]}:${unc[3] ?? '\\'}`;
  return n.replace(/^c:\\(documents and settings|docume~1)(?=\\|$)/, 'c:\\users');
}

/** True for C:\Users itself or anything below it, by any of the spellings `normalizeWindows` knows. */
function underUsers(p: string, selfHosts: string[] = []): boolean {
  const n = normalizeWindows(p, selfHosts);
  return n === 'c:\\users' || n.startsWith('c:\\users\\');
}

const extensionOf = (p: string, windows: boolean) => (windows ? win32 : posix).extname(p).toLowerCase();

/**
 * The Image Assistant CLI as it behaves on a RUNNING image builder (image-assistant.exe on
 * Windows, AppStreamImageAssistant on Linux): application catalog edits and create-image.
 */
export function runImageAssistant(ctx: Ctx, builder: BuilderRec, argv: string[]): AssistantResult {
  if (builder.state !== 'RUNNING')
    throw new ServiceError(
      'BuilderNotReachable',
      `Image builder '${builder.name}' is ${builder.state}; the Image Assistant runs only on a RUNNING builder.`,
    );
  try {
    return dispatch(ctx, builder, argv);
  } catch (e) {
    // "An unexpected error occurred": exit code 255, status 255.
    return unexpected(e instanceof Error ? e.message : String(e));
  }
}

const COMMANDS = [
  'help',
  'add-application',
  'remove-application',
  'list-applications',
  'update-default-profile',
  'reset-user-profile',
  'create-image',
];

function dispatch(ctx: Ctx, builder: BuilderRec, argv: string[]): AssistantResult {
  const [command, ...rest] = argv;
  if (command !== undefined && COMMANDS.includes(command) && rest[0] === '--help')
    return ok(`Usage: ${command} (see the AppStream 2.0 Administration Guide)`);
  switch (command) {
    case 'help':
      return ok('Available operations', { operations: COMMANDS });
    case 'add-application':
      return addApplication(builder, rest);
    case 'remove-application': {
      const { opts, bad } = parse(rest, ['name']);
      if (bad) return known(bad);
      const name = opts.get('name');
      if (!name) return known('Missing required argument --name');
      const before = builder.apps.length;
      builder.apps = builder.apps.filter((a) => a.Name !== name);
      return before === builder.apps.length ? known(MSG.removeNotFound) : ok();
    }
    case 'list-applications': {
      const { bad } = parse(rest, []);
      if (bad) return known(bad);
      return ok('Success', { applications: builder.apps });
    }
    case 'update-default-profile':
    case 'reset-user-profile':
      return profileCommand(builder, command, rest);
    case 'create-image':
      return createImage(ctx, builder, rest);
    default:
      return known(`Unknown command '${command ?? ''}'. Valid commands: ${COMMANDS.join(', ')}`);
  }
}

/** update-default-profile / reset-user-profile: Windows only; a domain user needs a domain-joined builder. */
function profileCommand(builder: BuilderRec, command: string, argv: string[]): AssistantResult {
  if (!isWindows(builder)) return known(`${command} is not supported by the Linux Image Assistant CLI tool`);
  const { opts, bad } = parse(argv, ['profile']);
  if (bad) return known(bad);
  const profile = opts.get('profile');
  if (command === 'reset-user-profile' && !profile) return known('Missing required argument --profile');
  if (profile !== undefined) {
    const sep = profile.indexOf('\\');
    if (sep <= 0 || sep === profile.length - 1) return known(MSG.invalid('profile'));
    if (profile.slice(0, sep) !== '.' && !builder.attrs.DomainJoinInfo)
      return known('Cannot copy a domain user when not joined to a domain');
  }
  return ok();
}

const APP_FLAGS = [
  'name',
  'absolute-app-path',
  'display-name',
  'absolute-icon-path',
  'working-directory',
  'launch-parameters',
  'absolute-manifest-path',
] as const;

/** The first problem with an add-application request, or undefined. Nothing is changed. */
function appProblem(builder: BuilderRec, opts: Map<string, string>): string | undefined {
  for (const required of ['name', 'absolute-app-path'])
    if (!opts.get(required)) return `Missing required argument --${required}`;
  const name = opts.get('name')!;
  if (name.length > MAX_APP_NAME || /\s/.test(name)) return MSG.invalid('name');
  if (builder.apps.some((a) => a.Name === name)) return MSG.notUnique;
  if (builder.apps.length >= MAX_APPS) return MSG.tooMany;

  const windows = isWindows(builder);
  const absolute = windows ? isWindowsAbsolute : (p: string) => p.startsWith('/');
  const appPath = opts.get('absolute-app-path')!;
  if (!absolute(appPath)) return MSG.appNotFound;
  if (windows) {
    if (!WINDOWS_APP_TYPES.includes(extensionOf(appPath, true))) return MSG.unsupported;
    const self = [builder.name.toLowerCase(), ...(builder.eni ? [builder.eni.ip] : [])];
    if (underUsers(appPath, self)) return MSG.underUsers;
  }
  const display = opts.get('display-name');
  if (display !== undefined && (display.length === 0 || display.length > MAX_TEXT))
    return MSG.invalid('display-name');
  const icon = opts.get('absolute-icon-path');
  if (icon !== undefined && (!absolute(icon) || !ICON_TYPES.includes(extensionOf(icon, windows))))
    return MSG.invalid('absolute-icon-path');
  const dir = opts.get('working-directory');
  if (dir !== undefined && !absolute(dir)) return MSG.dirNotFound;
  const manifest = opts.get('absolute-manifest-path');
  if (manifest !== undefined && !absolute(manifest)) return MSG.manifestNotFound(manifest);
  return undefined;
}

function addApplication(builder: BuilderRec, argv: string[]): AssistantResult {
  const { opts, bad } = parse(argv, APP_FLAGS);
  if (bad) return known(bad);
  const problem = appProblem(builder, opts);
  if (problem) return known(problem);
  const app: AssistantApp = { Name: opts.get('name')!, AbsoluteAppPath: opts.get('absolute-app-path')! };
  const optional: [string, keyof AssistantApp][] = [
    ['display-name', 'DisplayName'],
    ['absolute-icon-path', 'AbsoluteIconPath'],
    ['working-directory', 'WorkingDirectory'],
    ['launch-parameters', 'LaunchParameters'],
    ['absolute-manifest-path', 'AbsoluteManifestPath'],
  ];
  for (const [flag, key] of optional) {
    const value = opts.get(flag);
    if (value !== undefined) app[key] = value;
  }
  builder.apps.push(app);
  return ok();
}

const TAG_KEY = /^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** `--tags k v k v ...` as a map, or undefined when they are not valid AppStream tags. */
function tagsOf(words: string[], max: number): Record<string, string> | undefined {
  if (words.length % 2 !== 0) return undefined;
  const tags = new Map<string, string>();
  for (let i = 0; i < words.length; i += 2) {
    const [key, value] = [words[i], words[i + 1]];
    // Length first: the patterns never run on an over-long string.
    if (key.length < 1 || key.length > 128 || value.length > 256) return undefined;
    if (!TAG_KEY.test(key) || !TAG_VALUE.test(value)) return undefined;
    tags.set(key, value);
  }
  if (tags.size > max) return undefined;
  // Data properties, so a key like `__proto__` (a valid tag key) is a tag, never a prototype change.
  const out: Record<string, string> = {};
  for (const [key, value] of tags)
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}

function createImage(ctx: Ctx, builder: BuilderRec, argv: string[]): AssistantResult {
  const booleans = [
    'enable-dynamic-app-catalog',
    'no-enable-dynamic-app-catalog',
    'use-latest-agent-version',
    'no-use-latest-agent-version',
    'dry-run',
  ];
  const { opts, tags, bad } = parse(argv, ['name', 'description', 'display-name', 'tags'], booleans);
  if (bad) return known(bad);
  const name = opts.get('name');
  if (!name) return known('Missing required argument --name');
  const problem = imageNameProblem(name);
  if (problem) return known(problem);
  for (const field of ['description', 'display-name'])
    if ((opts.get(field)?.length ?? 0) > MAX_TEXT) return known(MSG.invalid(field));
  if (ctx.store.images.has(name)) return known(MSG.imageExists);
  const quotas = ctx.world.quotasFor(ctx.account, ctx.region);
  const tagMap = tagsOf(tags, quotas.tagsPerResource);
  if (!tagMap) return known(MSG.invalid('tags'));
  const on = (flag: string) => opts.get(flag) === 'true';
  const dynamic = on('enable-dynamic-app-catalog');
  if (builder.apps.length === 0 && !dynamic)
    return known('At least one application must be added to the image (or enable the dynamic app catalog)');
  if (ctx.store.images.size >= quotas.images)
    return known(`The image limit of ${quotas.images} for this account has been reached`);
  if (on('dry-run')) return ok('Dry run succeeded: the image can be created');

  const image: ImageRec = {
    name,
    arn: `arn:aws:appstream:${ctx.region}:${ctx.account}:image/${name}`,
    ownerAccount: ctx.account,
    visibility: 'PRIVATE',
    platform: builder.platform,
    createdAt: ctx.now,
    baseImageArn: builder.imageArn,
    builderName: builder.name,
    displayName: opts.get('display-name'),
    description: opts.get('description'),
    agentVersion: on('use-latest-agent-version') ? LATEST_AGENT_VERSION : builder.agentVersion,
    applications: structuredClone(builder.apps),
    dynamicAppProviders: dynamic,
    tags: tagMap,
    permissions: {},
    builderSupported: true,
    errors: [],
    state: 'PENDING',
    stateSince: ctx.now,
  };
  // Builder and image finish together: the builder stops itself once the image is AVAILABLE.
  // The builder's transition is queued first so its failure can still fail the image.
  const at = ctx.now + ctx.world.sample('imageCreate');
  ctx.store.enter('imageBuilder', builder, 'SNAPSHOTTING', ctx.now, { at });
  ctx.store.images.set(image.name, image);
  ctx.store.enter('image', image, 'PENDING', ctx.now, { at });
  return ok();
}
