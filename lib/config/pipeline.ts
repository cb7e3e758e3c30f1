import { z } from 'zod';

const IMAGE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,100}$/;
const tags = z.record(z.string().min(1).max(128), z.string().max(256));
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
  })
  .strict();

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
    windowSeconds: z.number().int().min(0).max(840).default(240),
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
  })
  .strict();

export const PipelineConfigSchema = z
  .object({
    name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9-]{0,39}$/, 'letters, digits and - (up to 40)'),
    region: region.optional(),
    builder,
    build: z
      .object({
        commands: z.array(command).default([]),
        applications: z.array(application).max(50).default([]),
      })
      .strict()
      .default({ commands: [], applications: [] }),
    image: z
      .object({
        /** Template: {pipeline}, {date} (YYYY-MM-DD), {time} (HHmmss), {execution} (short id). */
        name: z.string().min(1).default('{pipeline}-{date}-{time}'),
        displayName: z.string().max(100).optional(),
        description: z.string().max(256).optional(),
        tags: tags.default({}),
        useLatestAgentVersion: z.boolean().default(true),
        dynamicAppCatalog: z.boolean().default(false),
      })
      .strict()
      .default({
        name: '{pipeline}-{date}-{time}',
        tags: {},
        useLatestAgentVersion: true,
        dynamicAppCatalog: false,
      }),
    after: after.default({ copyTo: [], shareWith: [], rollOut: [] }),
    polling: polling.default(polling.parse({})),
    timeouts: timeouts.default(timeouts.parse({})),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.build.applications.length === 0 && !c.image.dynamicAppCatalog)
      ctx.addIssue({
        code: 'custom',
        path: ['build', 'applications'],
        message: 'the Image Assistant needs at least one application (or image.dynamicAppCatalog: true)',
      });
  });

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
