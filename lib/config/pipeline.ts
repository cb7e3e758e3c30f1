import { z } from 'zod';
import { ENV_NAME, SECRET_NAME, SECRET_PLACEHOLDER } from '../agent/job';
import { hasAppStream } from '../aws/regions';
import {
  EXECUTION_TIMEOUT_SECONDS,
  FIXED_OVERHEAD_MINUTES,
  LAMBDA_TIMEOUT_SECONDS,
  MAX_POLL_WINDOW_SECONDS,
  ROLLOUT_RETRY_MINUTES,
} from '../pipeline/limits';
import { isTagValue, TAG } from '../tags';

/**
 * Default image name: `{execution}` (a hash of the execution name) makes it unique per run, so two
 * runs started in the same second don't collide.
 */
export const DEFAULT_IMAGE_NAME = '{pipeline}-{date}-{time}-{execution}';

const IMAGE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,100}$/;
// AppStream tags (CreateImageBuilder, TagResource: https://docs.aws.amazon.com/appstream2/latest/APIReference/API_TagResource.html):
// at most 50, keys 1-128 characters not starting with aws:, keys and values letters, digits, spaces
// and _ . : / = + - @ (values up to 256). The pipeline adds its own (tag contract, lib/tags.ts).
const OWN_TAGS = [TAG.managed, TAG.deployment, TAG.pipeline, TAG.execution] as string[];
const tags = z
  .record(
    z.string(),
    z
      .string()
      .max(256)
      .refine(isTagValue, { message: 'tag values: letters, digits, spaces and _ . : / = + - @' }),
  )
  .superRefine((t, ctx) => {
    const keys = Object.keys(t);
    for (const key of keys) {
      const message =
        key.length < 1 || key.length > 128
          ? 'tag keys: 1 to 128 characters'
          : !isTagValue(key) || key.toLowerCase().startsWith('aws:')
            ? 'tag keys: letters, digits, spaces and _ . : / = + - @, not starting with aws:'
            : OWN_TAGS.includes(key)
              ? `${OWN_TAGS.join(', ')} are set by the pipeline (tag contract)`
              : undefined;
      if (message) ctx.addIssue({ code: 'custom', path: [key], message });
    }
    if (keys.length > 50 - OWN_TAGS.length)
      ctx.addIssue({
        code: 'custom',
        message: `at most ${50 - OWN_TAGS.length} tags (AppStream allows 50; the pipeline adds ${OWN_TAGS.length})`,
      });
  });
const region = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as eu-west-1');

const application = z
  .object({
    name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,99}$/, 'letters, digits, _ . - (up to 100)'),
    path: z.string().min(1),
    displayName: z.string().max(100).optional(),
    iconPath: z.string().optional(),
    workingDirectory: z.string().optional(),
    launchParameters: z.string().optional(),
    manifestPath: z.string().optional(),
  })
  .strict();

const command = z
  .object({
    name: z.string().optional(),
    /** Program and arguments as an array: passed to the builder without shell quoting. */
    run: z.array(z.string()).min(1),
    timeoutSeconds: z.number().int().positive().max(7200).default(1800),
    /** The command restarts the builder (an installer): the agent resumes after the reboot. */
    expectReboot: z.boolean().default(false),
    /** Environment variables for the command; values may use {{secret:NAME}} (build.secrets). */
    env: z
      .record(
        z
          .string()
          .regex(ENV_NAME, 'environment variable names: letters, digits and _, not starting with a digit'),
        z.string(),
      )
      .optional(),
  })
  .strict();

/**
 * A secret a build command needs, by reference only: the agent on the builder resolves it with
 * the builder's role just before the step runs; the value never reaches the pipeline.
 */
const secretRef = z
  .string()
  .regex(
    /^(ssm:[A-Za-z0-9_.\-/]{1,2048}|secretsmanager:[A-Za-z0-9/_+=.@:-]{1,2048})$/,
    'must be ssm:<SecureString parameter name> or secretsmanager:<secret ARN or name>',
  );

const builder = z
  .object({
    /** Reuse this existing image builder instead of launching one. */
    existing: z.string().regex(IMAGE_NAME).optional(),
    instanceType: z
      .string()
      .regex(/^stream\.[a-z0-9.-]+$/, 'must be an AppStream instance type such as stream.standard.medium')
      .optional(),
    /** Base image: a name, an ARN, or `latest:<PLATFORM>` (newest public, not deprecated). */
    image: z.string().min(1).optional(),
    subnetIds: z.array(z.string()).max(1, 'an image builder takes one subnet').optional(),
    securityGroupIds: z.array(z.string()).max(5).optional(),
    iamRoleArn: z
      .string()
      .regex(/^arn:aws[\w-]*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN')
      .optional(),
    enableDefaultInternetAccess: z.boolean().default(false),
    domainJoin: z
      .object({
        directoryName: z.string().min(1),
        organizationalUnitDistinguishedName: z.string().optional(),
      })
      .strict()
      .optional(),
    tags: tags.default({}),
    /** What to do with the builder once the image is done (or on failure). */
    whenDone: z.enum(['stop', 'delete']).default('stop'),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.existing && (b.instanceType || b.image))
      ctx.addIssue({
        code: 'custom',
        path: ['existing'],
        message: 'use either existing or instanceType + image, not both',
      });
    if (!b.existing && !b.instanceType)
      ctx.addIssue({ code: 'custom', path: ['instanceType'], message: 'required unless existing is set' });
    if (!b.existing && !b.image)
      ctx.addIssue({ code: 'custom', path: ['image'], message: 'required unless existing is set' });
  });

const after = z
  .object({
    copyTo: z.array(region).default([]),
    shareWith: z
      .array(
        z
          .object({
            account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
            allowFleet: z.boolean().default(true),
            allowImageBuilder: z.boolean().default(false),
          })
          .strict(),
      )
      .default([]),
    rollOut: z.array(z.object({ fleet: z.string().min(1), region: region.optional() }).strict()).default([]),
    keepLatest: z.number().int().min(1).optional(),
    notify: z
      .object({
        topicArn: z.string().regex(/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:.+$/, 'must be an SNS topic ARN'),
      })
      .strict()
      .optional(),
  })
  .strict();

const polling = z
  .object({
    /** adaptive: first wait sized from the expected duration, then short polls. fixed: poll every N s. */
    strategy: z.enum(['adaptive', 'fixed']).default('adaptive'),
    builderMedianMinutes: z.number().positive().default(12),
    imageMedianMinutes: z.number().positive().default(40),
    /** Spread (lognormal sigma) of those durations. */
    sigma: z.number().min(0).max(1).default(0.2),
    /** adaptive: seconds between polls inside one check, and how long one check keeps polling. */
    pollSeconds: z.number().int().min(1).max(300).default(15),
    // One Lambda call (lib/pipeline/limits.ts): the schema states the bound, with the reason.
    windowSeconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_POLL_WINDOW_SECONDS, {
        message: `doesn't fit in one Lambda call (timeout ${LAMBDA_TIMEOUT_SECONDS} s, serverless.yml): at most ${MAX_POLL_WINDOW_SECONDS}`,
      })
      .default(240),
    /** fixed: seconds between checks of the builder and of the image. */
    builderIntervalSeconds: z.number().int().min(1).default(30),
    imageIntervalSeconds: z.number().int().min(1).default(30),
  })
  .strict();

const timeouts = z
  .object({
    builderStartMinutes: z.number().positive().default(45),
    buildMinutes: z.number().positive().default(180),
    imageMinutes: z.number().positive().default(180),
    finishMinutes: z.number().positive().default(60),
    /** How long cleanup after a failure waits for a builder it can't stop yet (PENDING, SNAPSHOTTING). */
    cleanupMinutes: z.number().positive().default(240),
    /** No agent claimed the build job within this: BuildAgentLost (is the agent baked in?). */
    agentPickupMinutes: z.number().positive().default(15),
  })
  .strict();

/**
 * An EventBridge Scheduler cron expression: `cron(minutes hours day-of-month month day-of-week
 * year)`, six fields, one of day-of-month and day-of-week `?` (EventBridge Scheduler user guide,
 * "Schedule types": cron-based schedules).
 */
export function cronIssue(expression: string): string | undefined {
  const m = /^cron\((.*)\)$/.exec(expression.trim());
  if (!m) return 'must be cron(minutes hours day-of-month month day-of-week year), e.g. cron(0 3 ? * SUN *)';
  const fields = m[1].trim().split(/\s+/);
  if (fields.length !== 6)
    return `a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), this one ${fields.length}`;
  if (!fields.every((f) => /^[0-9A-Za-z*?,/#L W-]+$/.test(f)))
    return 'cron fields: digits, names, * ? , - / L W #';
  if ((fields[2] === '?') === (fields[4] === '?'))
    return 'one of day-of-month (3rd field) and day-of-week (5th field) must be ?, not both';
  return undefined;
}

/**
 * Why `name` is not an IANA time zone as spelled in the tz database (Europe/Paris, UTC), or
 * undefined. An alias or another spelling names its canonical form (US/Eastern → America/New_York).
 */
export function timeZoneIssue(name: string): string | undefined {
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return `'${name}' is not an IANA time zone (such as Europe/Paris, America/New_York or UTC)`;
  }
  return resolved === name ? undefined : `write the time zone as ${resolved}`;
}

/**
 * Rebuild unattended: at package time (deploy/pipeline-schedules.cjs) each pipeline with a
 * schedule gets an EventBridge Scheduler schedule that starts the image pipeline with
 * {"pipeline": "<name>"}, its cron evaluated in `timezone` (ScheduleExpressionTimezone: daylight
 * saving time followed). `enabled: false` deploys it DISABLED.
 */
const schedule = z
  .object({
    cron: z.string().superRefine((c, ctx) => {
      const issue = cronIssue(c);
      if (issue) ctx.addIssue({ code: 'custom', message: issue });
    }),
    timezone: z.string().superRefine((t, ctx) => {
      const issue = timeZoneIssue(t);
      if (issue) ctx.addIssue({ code: 'custom', message: issue });
    }),
    enabled: z.boolean().default(true),
  })
  .strict();

export const PipelineConfigSchema = z
  .object({
    name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9-]{0,39}$/, 'letters, digits and - (up to 40)'),
    region: region.optional(),
    /** When the deployed stack starts this pipeline by itself (EventBridge Scheduler). */
    schedule: schedule.optional(),
    builder,
    build: z
      .object({
        commands: z.array(command).default([]),
        applications: z.array(application).max(50).default([]),
        /** NAME -> where the agent reads it; use as {{secret:NAME}} in commands[].run. */
        secrets: z
          .record(z.string().regex(SECRET_NAME, 'secret names: letters, digits, _ (up to 64)'), secretRef)
          .default({}),
      })
      .strict()
      .default({ commands: [], applications: [], secrets: {} }),
    image: z
      .object({
        /** Template: {pipeline}, {date} (YYYY-MM-DD), {time} (HHmmss), {execution} (short id). */
        name: z.string().min(1).default(DEFAULT_IMAGE_NAME),
        displayName: z.string().max(100).optional(),
        description: z.string().max(256).optional(),
        tags: tags.default({}),
        useLatestAgentVersion: z.boolean().default(true),
        dynamicAppCatalog: z.boolean().default(false),
      })
      .strict()
      .default({
        name: DEFAULT_IMAGE_NAME,
        tags: {},
        useLatestAgentVersion: true,
        dynamicAppCatalog: false,
      }),
    after: after.default({ copyTo: [], shareWith: [], rollOut: [] }),
    polling: polling.default(polling.parse({})),
    timeouts: timeouts.default(timeouts.parse({})),
    /** Runs of this pipeline at the same time: refused (PipelineAlreadyRunning) unless allowParallel. */
    concurrency: z
      .object({ allowParallel: z.boolean().default(false) })
      .strict()
      .default({ allowParallel: false }),
  })
  .strict()
  .superRefine((c, ctx) => {
    checkBoundsFit(c, ctx);
    // `pipeline validate` and Resolve both parse with this schema: they accept and refuse the same.
    for (const issue of offlineIssues(c)) ctx.addIssue({ code: 'custom', ...issue });
    const checkSecrets = (text: string, path: (string | number)[]) => {
      for (const m of text.matchAll(SECRET_PLACEHOLDER))
        if (!Object.hasOwn(c.build.secrets, m[1]))
          ctx.addIssue({
            code: 'custom',
            path: ['build', 'commands', ...path],
            message: `{{secret:${m[1]}}} names no secret in build.secrets`,
          });
    };
    for (const [i, command] of c.build.commands.entries())
      for (const [j, arg] of command.run.entries()) checkSecrets(arg, [i, 'run', j]);
    for (const [i, command] of c.build.commands.entries())
      for (const [key, value] of Object.entries(command.env ?? {})) checkSecrets(value, [i, 'env', key]);
    if (c.build.applications.length === 0 && !c.image.dynamicAppCatalog)
      ctx.addIssue({
        code: 'custom',
        path: ['build', 'applications'],
        message: 'the Image Assistant needs at least one application (or image.dynamicAppCatalog: true)',
      });
  });

/**
 * Every bound must fit under the execution's TimeoutSeconds (a timed-out execution skips
 * CleanupBuilder), and a poll window under the Lambda timeout (the call would be killed mid-poll).
 */
function checkBoundsFit(
  c: {
    timeouts: z.infer<typeof timeouts>;
    polling: z.infer<typeof polling>;
    after: z.infer<typeof after>;
  },
  ctx: z.RefinementCtx,
) {
  const t = c.timeouts;
  const phases: [keyof typeof t, number][] = [
    ['builderStartMinutes', t.builderStartMinutes],
    ['buildMinutes', t.buildMinutes],
    ['imageMinutes', t.imageMinutes * (c.after.copyTo.length ? 2 : 1)],
    ['finishMinutes', t.finishMinutes],
    ['cleanupMinutes', t.cleanupMinutes],
  ];
  const overhead = FIXED_OVERHEAD_MINUTES + (c.after.rollOut.length ? ROLLOUT_RETRY_MINUTES : 0);
  const total = phases.reduce((sum, [, m]) => sum + m, overhead);
  const limit = EXECUTION_TIMEOUT_SECONDS / 60;
  if (total > limit) {
    const [largest] = [...phases].sort((a, b) => b[1] - a[1])[0];
    ctx.addIssue({
      code: 'custom',
      path: ['timeouts', largest],
      message: `the bounds add up to ${Math.ceil(total)} min (${phases.map(([k, m]) => `${k} ${m}`).join(' + ')}${c.after.copyTo.length ? ' (image and copies)' : ''} + ${overhead} min of Tasks${c.after.rollOut.length ? ' and roll-out retries' : ''}), past the execution timeout of ${limit} min (statemachines/image-pipeline.asl.json TimeoutSeconds): a timed-out execution skips cleanup`,
    });
  }
}

/**
 * Checks that need no AWS call: the image name the template renders to (any date, time and
 * execution render to the same length), and regions where AppStream doesn't run.
 */
function offlineIssues(c: {
  name: string;
  region?: string;
  image: { name: string };
  after: { copyTo: string[]; rollOut: { region?: string }[] };
}): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  try {
    // Every run renders {date}, {time} and {execution} to the same lengths: any values will do.
    renderImageName(c.image.name, { pipeline: c.name, now: Date.now(), execution: '0'.repeat(10) });
  } catch (err) {
    issues.push({ path: ['image', 'name'], message: (err as Error).message.replace(/^image\.name: /, '') });
  }
  const noAppStream = (r: string) => `AppStream 2.0 is not available in ${r}`;
  if (c.region && !hasAppStream(c.region)) issues.push({ path: ['region'], message: noAppStream(c.region) });
  c.after.copyTo.forEach((r, i) => {
    if (!hasAppStream(r)) issues.push({ path: ['after', 'copyTo', i], message: noAppStream(r) });
  });
  c.after.rollOut.forEach((t, i) => {
    if (t.region && !hasAppStream(t.region))
      issues.push({ path: ['after', 'rollOut', i, 'region'], message: noAppStream(t.region) });
  });
  return issues;
}

export type PipelineConfig = z.infer<typeof PipelineConfigSchema>;
export type PipelineInput = z.input<typeof PipelineConfigSchema>;

/** Formats zod issues as `field.path: message` lines. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

const RESERVED = /^(amazon|aws|appstream)/i;

/** Renders the image name template and checks AppStream's image name rules. */
export function renderImageName(
  template: string,
  vars: { pipeline: string; now: number; execution: string },
): string {
  const iso = new Date(vars.now).toISOString();
  const name = template
    .replaceAll('{pipeline}', vars.pipeline)
    .replaceAll('{date}', iso.slice(0, 10))
    .replaceAll('{time}', iso.slice(11, 19).replaceAll(':', ''))
    .replaceAll('{execution}', vars.execution);
  const unknown = /\{[^}]*\}/.exec(name);
  if (unknown) throw new Error(`image.name: unknown placeholder ${unknown[0]}`);
  if (!IMAGE_NAME.test(name))
    throw new Error(
      `image.name: '${name}' is not a valid image name (1-100 letters, digits, _ . -, starting with a letter or digit)`,
    );
  if (RESERVED.test(name)) throw new Error(`image.name: '${name}' can't begin with Amazon, AWS or AppStream`);
  return name;
}
