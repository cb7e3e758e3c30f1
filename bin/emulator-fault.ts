/**
 * `autopilot emulator fault <set|fail|fail-transition|list|clear>`: the emulator's fault-injection
 * control API (emulator/README.md "Control API": POST /_emulator/faults, faults/fail-calls,
 * faults/fail-transition, DELETE /_emulator/faults; the faults in force from GET /_emulator/state)
 * from the command line, against a running emulator (`autopilot emulator`, `autopilot local up`).
 */
import { intOption, parseOptions, UsageError } from './schedule-args';
import type { Subcommand } from './subcommands';

export const FAULT_HELP = `Usage:
  autopilot emulator fault set [--rate <0..1>] [--operation <Op>]... [--latency-ms <ms>] [--error ThrottlingException]
  autopilot emulator fault fail --error <Code> [--operation <Op>] [--count <n>] [--status <http>] [--message <m>] [--after]
  autopilot emulator fault fail-transition --kind imageBuilder|image|fleet [--name <resource>] [--message <m>]
  autopilot emulator fault list
  autopilot emulator fault clear
Every command takes --endpoint-url <url> (default $AWS_ENDPOINT_URL, else http://127.0.0.1:4566)
and --json (print the control API's answer as JSON).

  set              throttle a fraction of calls (--rate; only the --operation ones when given) with
                   each service's own throttling error (ThrottlingException; the tagging API's
                   ThrottledException), and/or add --latency-ms to every call. What you don't give
                   is kept from the faults in force.
  fail             fail the next --count calls (default 1; of --operation, or any) with --error
                   (HTTP --status, default 500 for Internal*, else 400); --after: the call takes
                   effect, then its response is lost
  fail-transition  the next lifecycle transition of a resource of --kind (named --name, or any)
                   ends FAILED (fleets: STOPPED with FleetErrors)
  list             the faults in force
  clear            remove every fault`;

const THROTTLING = ['ThrottlingException', 'ThrottledException'];

interface Common {
  endpoint: string;
  json: boolean;
}

async function call(
  c: Common,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<unknown> {
  const url = `${c.endpoint.replace(/\/$/, '')}/_emulator/${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw Object.assign(
      new Error(
        `no emulator answers at ${c.endpoint} (${(err as Error).cause ?? (err as Error).message}); start one with autopilot emulator or autopilot local up`,
      ),
      {
        name: 'EmulatorUnreachable',
      },
    );
  }
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: shown as is.
  }
  if (!res.ok) {
    const e = parsed as { __type?: string; message?: string };
    throw Object.assign(new Error(e?.message ?? text), { name: e?.__type ?? `HTTP${res.status}` });
  }
  return parsed;
}

interface FaultSnapshot {
  throttleRate?: number;
  throttleOperations?: string[];
  latencyMs?: number;
  failNextCalls?: {
    count: number;
    code: string;
    message: string;
    status: number;
    operation?: string;
    after?: boolean;
  }[];
  failTransitions?: { kind: string; name?: string; message: string }[];
}

const current = async (c: Common) =>
  ((await call(c, 'GET', 'state')) as { faults?: FaultSnapshot }).faults ?? {};

function describe(f: FaultSnapshot): string[] {
  const lines: string[] = [];
  if (f.throttleRate)
    lines.push(
      `throttle  ${f.throttleRate * 100}% of ${f.throttleOperations?.length ? f.throttleOperations.join(', ') : 'all calls'}`,
    );
  if (f.latencyMs) lines.push(`latency   +${f.latencyMs} ms on every call`);
  for (const n of f.failNextCalls ?? [])
    lines.push(
      `fail      next ${n.count} call(s)${n.operation ? ` of ${n.operation}` : ''}: ${n.code} (HTTP ${n.status})${n.after ? ', after the call took effect' : ''}`,
    );
  for (const t of f.failTransitions ?? [])
    lines.push(`transition next ${t.kind}${t.name ? ` ${t.name}` : ''} → FAILED (${t.message})`);
  return lines.length ? lines : ['no faults'];
}

const rate = (text: string | undefined) => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || n > 1)
    throw new UsageError(`--rate must be a number from 0 to 1, got '${text}'`);
  return n;
};

export const faultCommand: Subcommand = async (argv) => {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
    console.log(FAULT_HELP);
    return 0;
  }
  const { values, positionals } = parseOptions(rest, {
    'endpoint-url': { type: 'string' },
    json: { type: 'boolean' },
    rate: { type: 'string' },
    operation: { type: 'string', multiple: true },
    'latency-ms': { type: 'string' },
    error: { type: 'string' },
    count: { type: 'string' },
    status: { type: 'string' },
    message: { type: 'string' },
    after: { type: 'boolean' },
    kind: { type: 'string' },
    name: { type: 'string' },
  });
  if (values.help) {
    console.log(FAULT_HELP);
    return 0;
  }
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const c: Common = {
    endpoint: values['endpoint-url'] ?? process.env.AWS_ENDPOINT_URL ?? 'http://127.0.0.1:4566',
    json: Boolean(values.json),
  };
  const allowed: Record<string, string[]> = {
    set: ['rate', 'operation', 'latency-ms', 'error'],
    fail: ['error', 'operation', 'count', 'status', 'message', 'after'],
    'fail-transition': ['kind', 'name', 'message'],
    list: [],
    clear: [],
  };
  if (!allowed[sub])
    throw new UsageError(`unknown fault command '${sub}' (set, fail, fail-transition, list, clear)`);
  for (const k of Object.keys(values))
    if (!['endpoint-url', 'json', 'help', ...allowed[sub]].includes(k))
      throw new UsageError(`--${k} does not go with 'fault ${sub}'`);
  const out = (answer: unknown, text: string[]) =>
    console.log(c.json ? JSON.stringify(answer) : text.join('\n'));

  if (sub === 'list') {
    const f = await current(c);
    out(f, describe(f));
    return 0;
  }
  if (sub === 'clear') {
    const answer = await call(c, 'DELETE', 'faults', {});
    out(answer, ['faults cleared']);
    return 0;
  }
  if (sub === 'set') {
    if (values.error !== undefined && !THROTTLING.includes(values.error))
      throw new UsageError(
        `a --rate of calls fails with the service's throttling error only; for ${values.error}, use: autopilot emulator fault fail --error ${values.error} [--operation <Op>] [--count <n>]`,
      );
    const throttleRate = rate(values.rate);
    const latencyMs = intOption('latency-ms', values['latency-ms'], 0, 60_000);
    if (throttleRate === undefined && latencyMs === undefined && !values.operation)
      throw new UsageError('give --rate, --operation or --latency-ms');
    // POST /_emulator/faults replaces the throttling/latency settings: keep what isn't given.
    const was = await current(c);
    const config = {
      throttleRate: throttleRate ?? was.throttleRate,
      throttleOperations: values.operation ?? was.throttleOperations,
      latencyMs: latencyMs ?? was.latencyMs,
    };
    const body = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined));
    await call(c, 'POST', 'faults', body);
    const now = await current(c);
    out(now, describe(now));
    return 0;
  }
  if (sub === 'fail') {
    if (!values.error) throw new UsageError('fail needs --error <Code>, e.g. --error InternalServerError');
    if ((values.operation?.length ?? 0) > 1) throw new UsageError('fail takes one --operation');
    const body = {
      code: values.error,
      count: intOption('count', values.count, 1, 1_000_000),
      status: intOption('status', values.status, 400, 599),
      operation: values.operation?.[0],
      message: values.message,
      after: values.after || undefined,
    };
    await call(
      c,
      'POST',
      'faults/fail-calls',
      Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)),
    );
    const now = await current(c);
    out(now, describe(now));
    return 0;
  }
  // fail-transition
  if (!values.kind || !['imageBuilder', 'image', 'fleet'].includes(values.kind))
    throw new UsageError(
      `fail-transition needs --kind imageBuilder, image or fleet${values.kind ? `, got '${values.kind}'` : ''}`,
    );
  const body = { kind: values.kind, name: values.name, message: values.message };
  await call(
    c,
    'POST',
    'faults/fail-transition',
    Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)),
  );
  const now = await current(c);
  out(now, describe(now));
  return 0;
};
