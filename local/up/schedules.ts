/**
 * What `autopilot local up` reads from serverless.yml: the API's routes (each function's `httpApi`
 * events, local/up/routes.ts) and the schedules it declares: each state machine's
 * `events: [{schedule: …}]` (serverless-step-functions' schedule event: `rate` a string or a list
 * of expressions, `input`, `enabled`, `timezone` with `method: scheduler`), with `${param:x}`
 * taken from `params.default` (or `params` given), `${self:service}`, `${sls:stage}` and
 * `${file(path)}` resolved the way osls resolves them at package time.
 *
 * The expressions are evaluated with the emulator's evaluator (emulator/autoscaling/schedule.ts):
 * EventBridge Scheduler takes the same three forms as Application Auto Scaling's scheduled
 * actions, `at(yyyy-mm-ddThh:mm:ss)`, `rate(value minute(s)|hour(s)|day(s))` and the six-field
 * `cron(minutes hours day-of-month month day-of-week year)` with `, - * / ? L W #` (EventBridge
 * Scheduler User Guide, "Schedule types"), so one evaluator, already tested for that dialect
 * with IANA zones and DST, serves both. Of the npm libraries, aws-cron-parser reads the dialect
 * but computes occurrences in UTC only (its README: parse/next/prev on Dates; EventBridge
 * Scheduler schedules carry a `timezone`), and the general ones (cron-parser, croner) take a
 * sixth field as seconds, not a year.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { nextRun, parseSchedule, type Schedule } from '../../emulator/autoscaling/schedule';
import { type DeclaredRoute, declaredRoutes } from './routes';

export type Workflow = 'pipeline' | 'schedule' | 'cleanup';

/** Which workflow a state machine runs, by its definition file. */
const WORKFLOW_OF: Record<string, Workflow> = {
  'image-pipeline.asl.json': 'pipeline',
  'fleet-schedule.asl.json': 'schedule',
  'builder-cleanup.asl.json': 'cleanup',
};

export interface DeclaredSchedule {
  /** `<state machine key>-<n>`: what the local scheduler names its executions after. */
  id: string;
  stateMachine: string;
  workflow: Workflow;
  expression: string;
  schedule: Schedule;
  /** IANA zone (EventBridge Scheduler's ScheduleExpressionTimezone; default UTC). */
  timezone: string;
  input: unknown;
}

export interface ServerlessFile {
  /** params.default, merged with the overrides given. */
  params: Record<string, string>;
  service: string;
  schedules: DeclaredSchedule[];
  /** The API's routes: every function's `httpApi` events (local/up/routes.ts). */
  routes: DeclaredRoute[];
}

/** Reads serverless.yml (YAML with CloudFormation tags, which are kept as plain values). */
export function readServerless(
  file: string,
  opts: { params?: Record<string, string>; stage?: string } = {},
): ServerlessFile {
  const doc = parse(readFileSync(file, 'utf8'), { logLevel: 'silent' }) as Record<string, unknown>;
  const params = {
    ...((doc.params as { default?: Record<string, unknown> } | undefined)?.default ?? {}),
    ...(opts.params ?? {}),
  } as Record<string, string>;
  const service = String(doc.service ?? 'service');
  const base = dirname(resolve(file));
  const vars = { params, service, stage: opts.stage ?? 'local', base };
  const machines = ((doc.stepFunctions as Record<string, unknown> | undefined)?.stateMachines ??
    {}) as Record<string, { definition?: unknown; events?: unknown[] }>;
  const schedules: DeclaredSchedule[] = [];
  for (const [key, machine] of Object.entries(machines)) {
    const def = typeof machine.definition === 'string' ? machine.definition : '';
    const workflow = Object.entries(WORKFLOW_OF).find(([f]) => def.includes(f))?.[1];
    if (!workflow) continue;
    for (const event of machine.events ?? []) {
      const raw = (event as { schedule?: unknown }).schedule;
      if (raw === undefined) continue;
      const s = (typeof raw === 'string' ? { rate: raw } : raw) as {
        rate?: string | string[];
        input?: unknown;
        enabled?: boolean;
        timezone?: string;
      };
      if (s.enabled === false) continue;
      for (const rate of [s.rate ?? []].flat()) {
        const expression = String(substitute(rate, vars));
        let schedule: Schedule;
        try {
          schedule = parseSchedule(expression);
        } catch (err) {
          throw new Error(
            `${file}: stepFunctions.stateMachines.${key}: schedule ${expression}: ${(err as Error).message}`,
          );
        }
        schedules.push({
          id: `${key}-${schedules.filter((x) => x.stateMachine === key).length + 1}`,
          stateMachine: key,
          workflow,
          expression,
          schedule,
          timezone: s.timezone ?? 'UTC',
          input: s.input === undefined ? {} : substitute(s.input, vars),
        });
      }
    }
  }
  const routes = declaredRoutes(doc.functions, file, (v) => substitute(v, vars));
  return { params, service, schedules, routes };
}

interface Vars {
  params: Record<string, string>;
  service: string;
  stage: string;
  base: string;
}

const VARIABLE = /\$\{(param|self|sls|opt|file)[:(]([^},)]*)\)?(?:,\s*'([^']*)')?\}/g;

/** Resolves the serverless variables we use in values; a whole-value `${file(x)}` becomes x's content. */
function substitute(value: unknown, vars: Vars): unknown {
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars)]));
  if (typeof value !== 'string') return value;
  const whole = /^\$\{file\(([^)]+)\)\}$/.exec(value.trim());
  if (whole) return parse(readFileSync(resolve(vars.base, whole[1]), 'utf8'));
  return value.replace(VARIABLE, (match, kind: string, name: string, fallback?: string) => {
    if (kind === 'param') {
      const v = vars.params[name];
      if (v === undefined)
        throw new Error(`serverless.yml: \${param:${name}} is not declared in params.default`);
      return String(v);
    }
    if (kind === 'self' && name === 'service') return vars.service;
    if (kind === 'sls' && name === 'stage') return vars.stage;
    if (kind === 'opt') return fallback ?? '';
    return match;
  });
}

/**
 * The first time `s` is due strictly after `after` (epoch ms) on the virtual clock. A rate counts
 * from `createdAt` (EventBridge Scheduler: "a rate-based schedule … starts … when you create it").
 */
export function nextDue(s: DeclaredSchedule, after: number, createdAt: number): number | undefined {
  return nextRun(s.schedule, after, { zone: s.timezone, start: createdAt });
}
