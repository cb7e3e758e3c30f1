/**
 * The cleanup policy file (examples/cleanup.yaml): the zod schema is the one source of truth, the
 * type its z.infer. Durations are parsed to milliseconds (lib/cleanup/duration.ts); every error
 * names its field (`cleanup.yaml: stopAfter: must be longer than warnAfter (2h)`).
 *
 * Defaults: no deletion (deleteStoppedAfter absent), optOutTag TAG.keep, sessionGrace 8h, presenceLimit 12h,
 * withoutConnectionSignal `warn-only`, minNotice min(1h, stopAfter − warnAfter), deleteWarnBefore
 * min(1d, deleteStoppedAfter), dryRun false, the caller's account when scope.accounts is absent,
 * role `autopilot-cleanup` for an account listed without a roleArn.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { APPSTREAM_REGIONS } from '../aws/regions';
import { describeIssues } from '../config/pipeline';
import { ConfigError } from '../errors';
import { isTagValue, TAG } from '../tags';
import { DAY, durationProblem, formatDuration, HOUR, MINUTE, parseDuration } from './duration';

/** A duration field as ms; `min` in ms (at least one minute unless said). */
const duration = (min = MINUTE) =>
  z
    .unknown()
    .transform((v, ctx) => {
      const problem = durationProblem(v);
      if (problem) {
        ctx.addIssue({ code: 'custom', message: problem });
        return z.NEVER;
      }
      return parseDuration(v as string);
    })
    .refine((ms) => ms >= min, { message: `must be at least ${formatDuration(min)}` });

const tagKey = z
  .string()
  .min(1)
  .max(128)
  .refine((k) => isTagValue(k) && !k.toLowerCase().startsWith('aws:'), 'must be a tag key');

/** Tag filters: key → value; `*` matches any value (the tag is present). */
const tagFilter = z.record(
  tagKey,
  z.string().refine((v) => v === '*' || isTagValue(v), 'must be a tag value or * (any value)'),
);

/** One prefix or a list; `""` matches every name. */
const namePrefixes = z
  .union([z.string().max(100), z.array(z.string().min(1).max(100))])
  .transform((p) => (typeof p === 'string' ? (p === '' ? [] : [p]) : p));

const include = z
  .strictObject({ namePrefix: namePrefixes.default([]), tags: tagFilter.default({}) })
  .default({ namePrefix: [], tags: {} });
const exclude = include;

/**
 * A 12-digit account id. YAML reads `111122223333` unquoted as a number: taken when it still has
 * 12 digits; an id with a leading zero must be quoted (the number lost it).
 */
const accountId = z.preprocess(
  (v) => (typeof v === 'number' && Number.isInteger(v) ? String(v) : v),
  z.string().regex(/^\d{12}$/, 'must be a 12-digit account id (quote it: a YAML number loses leading zeros)'),
);

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

const account = z.preprocess(
  (v) => (typeof v === 'string' || typeof v === 'number' ? { id: v } : v),
  z
    .strictObject({
      id: accountId,
      /** The role cleanup assumes there (default `arn:aws:iam::<id>:role/<scope.roleName>`). */
      roleArn: z
        .string()
        .regex(ROLE_ARN, 'must be an IAM role ARN such as arn:aws:iam::111122223333:role/autopilot-cleanup')
        .optional(),
      /** sts:ExternalId, when the role's trust policy asks for one. */
      externalId: z
        .string()
        .regex(/^[\w+=,.@:/-]{2,1224}$/, 'must be 2-1224 characters: letters, digits, _+=,.@:/-')
        .optional(),
    })
    .superRefine((a, ctx) => {
      const arnAccount = a.roleArn ? ROLE_ARN.exec(a.roleArn)?.[1] : undefined;
      if (arnAccount !== undefined && arnAccount !== a.id)
        ctx.addIssue({
          code: 'custom',
          path: ['roleArn'],
          message: `names account ${arnAccount}, not the account's id ${a.id}`,
        });
    }),
);

const region = z.string().refine((r) => APPSTREAM_REGIONS.includes(r), {
  message: `must be a region where AppStream 2.0 runs (${APPSTREAM_REGIONS.join(', ')})`,
});

const scope = z
  .strictObject({
    regions: z.array(region).min(1, 'must list at least one region'),
    /** The role name for accounts listed without a roleArn. */
    roleName: z.string().regex(ROLE_NAME, 'must be an IAM role name').default('autopilot-cleanup'),
    /** Absent: the caller's own account (no role assumed). */
    accounts: z.array(account).min(1).optional(),
    /** Only builders matching: a name prefix (any of a list) and every tag. */
    include,
    /** Never builders matching: a name prefix (any of a list) or any tag. */
    exclude,
  })
  .superRefine((s, ctx) => {
    s.regions.forEach((r, i) => {
      if (s.regions.indexOf(r) !== i)
        ctx.addIssue({ code: 'custom', path: ['regions', i], message: `duplicate region ${r}` });
    });
    s.accounts?.forEach((a, i) => {
      if (s.accounts!.findIndex((b) => b.id === a.id) !== i)
        ctx.addIssue({ code: 'custom', path: ['accounts', i, 'id'], message: `duplicate account ${a.id}` });
    });
  })
  .transform((s) => ({
    ...s,
    accounts: s.accounts?.map((a) => ({
      ...a,
      roleArn: a.roleArn ?? `arn:aws:iam::${a.id}:role/${s.roleName}`,
    })),
  }));

const SNS_TOPIC = /^arn:aws:sns:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[\w-]{1,256}$/;
const NOTIFIED = ['warn', 'stop', 'delete'] as const;

const policySchema = z
  .strictObject({
    /** Idle this long: warn (notify, mark the planned stop). */
    warnAfter: duration(),
    /** Idle this long, and warned at least minNotice before: stop a RUNNING builder. */
    stopAfter: duration(),
    /** STOPPED this long: delete (off when absent). */
    deleteStoppedAfter: duration().optional(),
    /** Warn this long before a delete is due (default 1d, at most deleteStoppedAfter). */
    deleteWarnBefore: duration(0).optional(),
    /** The least time between a warning and the stop or delete it announces (default min(1h, stopAfter − warnAfter)). */
    minNotice: duration().optional(),
    /** The opt-out tag (values: true, stop-only, no-notify, an ISO date = until). */
    optOutTag: tagKey.default(TAG.keep),
    /**
     * A connection keeps a builder without a presence signal alive this long; at least 30m (a
     * session just opened is never stopped under it: 0 would let the next run stop it).
     */
    sessionGrace: duration(30 * MINUTE).default(8 * HOUR),
    /**
     * A presence heartbeat keeps a builder alive at most this long after the latest connection or
     * start (a server-side cap for a session left open: a tab closed without signing out).
     */
    presenceLimit: duration().default(12 * HOUR),
    /** Where no connection signal is deployed: only warn, or go by the builder's age. */
    withoutConnectionSignal: z.enum(['warn-only', 'age']).default('warn-only'),
    scope,
    dryRun: z.boolean().default(false),
    /**
     * Where warnings and reports go. Required unless dryRun, or `none` (warnings are then only
     * tags: nobody is told before a stop).
     */
    notify: z
      .union([
        z.literal('none'),
        z.strictObject({
          topicArn: z
            .string()
            .regex(SNS_TOPIC, 'must be an SNS topic ARN such as arn:aws:sns:eu-west-1:111122223333:cleanup'),
          /** Actions listed in a notification (default all three). */
          actions: z
            .array(z.enum(NOTIFIED))
            .min(1)
            .default([...NOTIFIED]),
        }),
      ])
      .optional(),
  })
  .superRefine((p, ctx) => {
    if (p.notify === undefined && !p.dryRun)
      ctx.addIssue({
        code: 'custom',
        path: ['notify'],
        message:
          'is required (a stop is announced by a warning someone must receive): set notify.topicArn, or notify: none to warn by tags only',
      });
    if (p.notify !== undefined && p.notify !== 'none' && !p.notify.actions.includes('warn') && !p.dryRun)
      ctx.addIssue({
        code: 'custom',
        path: ['notify', 'actions'],
        message:
          'must include warn (a stop or delete is announced by a warning someone must receive), unless dryRun',
      });
    if (p.stopAfter <= p.warnAfter)
      ctx.addIssue({
        code: 'custom',
        path: ['stopAfter'],
        message: `must be longer than warnAfter (${formatDuration(p.warnAfter)}): a stop is always warned first`,
      });
    if (p.deleteWarnBefore !== undefined && p.deleteStoppedAfter === undefined)
      ctx.addIssue({ code: 'custom', path: ['deleteWarnBefore'], message: 'needs deleteStoppedAfter' });
    if (
      p.deleteWarnBefore !== undefined &&
      p.deleteStoppedAfter !== undefined &&
      p.deleteWarnBefore > p.deleteStoppedAfter
    )
      ctx.addIssue({
        code: 'custom',
        path: ['deleteWarnBefore'],
        message: `must not exceed deleteStoppedAfter (${formatDuration(p.deleteStoppedAfter)})`,
      });
  })
  .transform((p) => ({
    ...p,
    notify: p.notify === 'none' ? undefined : p.notify,
    minNotice: p.minNotice ?? Math.min(HOUR, p.stopAfter - p.warnAfter),
    deleteWarnBefore:
      p.deleteStoppedAfter === undefined
        ? undefined
        : (p.deleteWarnBefore ?? Math.min(DAY, p.deleteStoppedAfter)),
  }));

/** The validated policy: durations in ms, defaults filled in. */
export type CleanupPolicy = z.output<typeof policySchema>;
/** The policy as written (durations as text). */
export type CleanupPolicyInput = z.input<typeof policySchema>;
export type CleanupScope = CleanupPolicy['scope'];

/** Validates already-parsed input (a state machine input); throws ConfigError naming the field. */
export function validateCleanupPolicy(value: unknown, source = 'cleanup policy'): CleanupPolicy {
  const parsed = policySchema.safeParse(value);
  if (!parsed.success) throw new ConfigError(`${source}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** Parses YAML (or JSON) text; syntax errors name the line, schema errors the field. */
export function parseCleanupPolicy(text: string, source = 'cleanup policy'): CleanupPolicy {
  let value: unknown;
  try {
    value = parse(text);
  } catch (err) {
    throw new ConfigError(`${source}: ${(err as Error).message}`);
  }
  return validateCleanupPolicy(value, source);
}

export function loadCleanupPolicy(path: string): CleanupPolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: ${(err as Error).message}`);
  }
  return parseCleanupPolicy(text, path);
}

/**
 * Why a builder is outside the policy's scope (include: a name prefix of the list and every tag;
 * exclude: a name prefix or any tag), or undefined when it is in scope.
 */
export function outOfScope(
  name: string,
  tags: Record<string, string>,
  scope: CleanupScope,
): string | undefined {
  const has = (key: string, value: string) =>
    Object.hasOwn(tags, key) && (value === '*' || tags[key] === value);
  const { include: inc, exclude: exc } = scope;
  if (inc.namePrefix.length > 0 && !inc.namePrefix.some((p) => name.startsWith(p)))
    return `name not matching include.namePrefix (${inc.namePrefix.join(', ')})`;
  for (const [key, value] of Object.entries(inc.tags))
    if (!has(key, value)) return `tag ${key}=${value} required by include.tags`;
  const prefix = exc.namePrefix.find((p) => name.startsWith(p));
  if (prefix !== undefined) return `name matching exclude.namePrefix ${prefix}`;
  for (const [key, value] of Object.entries(exc.tags))
    if (has(key, value)) return `tag ${key}=${value} excluded`;
  return undefined;
}
