import type { Ctx } from './context';
import { ServiceError } from './errors';
import { imageNameProblem } from './operations/images';
import type { AssistantApp, BuilderRec, ImageRec } from './records';
import { LATEST_AGENT_VERSION } from './seed';

/** What the Image Assistant CLI prints (JSON on stdout) and its exit code. */
export interface AssistantResult {
  exitCode: 0 | 1 | 255;
  output: { status: number; message: string; [k: string]: unknown };
}

const MAX_APPS = 50;

const ok = (message = 'Success', extra: Record<string, unknown> = {}): AssistantResult => ({
  exitCode: 0,
  output: { status: 0, message, ...extra },
});
const known = (message: string): AssistantResult => ({ exitCode: 1, output: { status: 1, message } });

/** Parses `--flag value` pairs; `--tags` takes the pairs after it; boolean flags take nothing. */
function parse(
  argv: string[],
  booleans: string[],
): { opts: Record<string, string>; tags: string[]; bad?: string } {
  const opts: Record<string, string> = {};
  const tags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) return { opts, tags, bad: `Unexpected argument '${a}'` };
    const flag = a.slice(2);
    if (booleans.includes(flag)) {
      opts[flag] = 'true';
    } else if (flag === 'tags') {
      while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) tags.push(argv[++i]);
    } else {
      if (i + 1 >= argv.length) return { opts, tags, bad: `Missing value for --${flag}` };
      opts[flag] = argv[++i];
    }
  }
  return { opts, tags };
}

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
  const [command, ...rest] = argv;
  switch (command) {
    case 'add-application':
      return addApplication(builder, rest);
    case 'remove-application': {
      const { opts, bad } = parse(rest, []);
      if (bad) return known(bad);
      if (!opts.name) return known('Missing required argument --name');
      const before = builder.apps.length;
      builder.apps = builder.apps.filter((a) => a.Name !== opts.name);
      return before === builder.apps.length ? known(`Application '${opts.name}' was not found`) : ok();
    }
    case 'list-applications':
      return ok('Success', { applications: builder.apps });
    case 'update-default-profile':
      return ok();
    case 'create-image':
      return createImage(ctx, builder, rest);
    default:
      return known(
        `Unknown command '${command ?? ''}'. Valid commands: add-application, remove-application, list-applications, update-default-profile, create-image`,
      );
  }
}

function addApplication(builder: BuilderRec, argv: string[]): AssistantResult {
  const { opts, bad } = parse(argv, []);
  if (bad) return known(bad);
  for (const required of ['name', 'absolute-app-path'])
    if (!opts[required]) return known(`Missing required argument --${required}`);
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,99}$/.test(opts.name))
    return known(`Invalid application name '${opts.name}': use letters, digits, '_', '.' or '-' (up to 100)`);
  if (builder.apps.some((a) => a.Name === opts.name))
    return known(`An application with name '${opts.name}' already exists`);
  if (builder.apps.length >= MAX_APPS)
    return known(`The application catalog is limited to ${MAX_APPS} applications`);
  const app: AssistantApp = { Name: opts.name, AbsoluteAppPath: opts['absolute-app-path'] };
  const optional: [string, keyof AssistantApp][] = [
    ['display-name', 'DisplayName'],
    ['absolute-icon-path', 'AbsoluteIconPath'],
    ['working-directory', 'WorkingDirectory'],
    ['launch-parameters', 'LaunchParameters'],
    ['absolute-manifest-path', 'AbsoluteManifestPath'],
  ];
  for (const [flag, key] of optional) if (opts[flag] !== undefined) app[key] = opts[flag];
  builder.apps.push(app);
  return ok();
}

function createImage(ctx: Ctx, builder: BuilderRec, argv: string[]): AssistantResult {
  const booleans = ['enable-dynamic-app-catalog', 'use-latest-agent-version', 'dry-run'];
  const { opts, tags, bad } = parse(argv, booleans);
  if (bad) return known(bad);
  if (!opts.name) return known('Missing required argument --name');
  const problem = imageNameProblem(opts.name);
  if (problem) return known(problem);
  if (ctx.store.images.has(opts.name)) return known(`An image with the name '${opts.name}' already exists`);
  const dynamic = opts['enable-dynamic-app-catalog'] === 'true';
  if (builder.apps.length === 0 && !dynamic)
    return known('At least one application must be added to the image (or enable the dynamic app catalog)');
  if (tags.length % 2 !== 0) return known('--tags takes key value pairs');
  const tagMap: Record<string, string> = {};
  for (let i = 0; i < tags.length; i += 2) tagMap[tags[i]] = tags[i + 1];
  if (Object.keys(tagMap).length > ctx.world.quotas.tagsPerResource)
    return known(`An image can have at most ${ctx.world.quotas.tagsPerResource} tags`);
  if (ctx.store.images.size >= ctx.world.quotas.images)
    return known(`The image limit of ${ctx.world.quotas.images} for this account has been reached`);
  if (opts['dry-run'] === 'true') return ok('Dry run succeeded: the image can be created');

  const image: ImageRec = {
    name: opts.name,
    arn: `arn:aws:appstream:${ctx.region}:${ctx.account}:image/${opts.name}`,
    ownerAccount: ctx.account,
    visibility: 'PRIVATE',
    platform: builder.platform,
    createdAt: ctx.now,
    baseImageArn: builder.imageArn,
    builderName: builder.name,
    displayName: opts['display-name'],
    description: opts.description,
    agentVersion: opts['use-latest-agent-version'] === 'true' ? LATEST_AGENT_VERSION : builder.agentVersion,
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
