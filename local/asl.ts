/** Minimal ASL types for what the local runtime reads and rewrites. */
export interface AslState {
  Type: string;
  Resource?: string;
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
  Next?: string;
  End?: boolean;
  InputPath?: string | null;
  OutputPath?: string | null;
  Comment?: string;
  [k: string]: unknown;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  [k: string]: unknown;
}

/** `${self:custom.lambda.<name>}` (the serverless.yml substitution) → `<name>`. */
export function functionNameOf(resource: string | undefined): string | undefined {
  return /^\$\{self:custom\.lambda\.([A-Za-z0-9]+)\}$/.exec(resource ?? '')?.[1];
}

/** Reads a simple JSONPath (`$.a.b[0]`) from a value; enough for Wait paths. */
export function readPath(value: unknown, path: string): unknown {
  if (path === '$') return value;
  const parts = path.replace(/^\$\.?/, '').match(/[^.[\]]+/g) ?? [];
  let cur: unknown = value;
  for (const p of parts) cur = cur == null ? undefined : (cur as Record<string, unknown>)[p];
  return cur;
}

/** The seconds a Wait state waits for this input (Seconds, SecondsPath, Timestamp, TimestampPath). */
export function waitSeconds(state: AslState, input: unknown, nowMs: number): number {
  if (state.Seconds !== undefined) return state.Seconds;
  if (state.SecondsPath) {
    const v = readPath(input, state.SecondsPath);
    if (typeof v !== 'number' || v < 0)
      throw Object.assign(new Error(`Wait SecondsPath ${state.SecondsPath} is not a non-negative number`), {
        name: 'States.Runtime',
      });
    return v;
  }
  const ts =
    state.Timestamp ?? (state.TimestampPath ? String(readPath(input, state.TimestampPath)) : undefined);
  if (ts) return Math.max(0, (Date.parse(ts) - nowMs) / 1000);
  return 0;
}

const LOCAL_ARN = (fn: string) => `arn:aws:lambda:us-east-1:000000000000:function:${fn}`;

/** The nested definitions of a state: a Map's ItemProcessor (or Iterator), a Parallel's Branches. */
function nested(
  state: AslState,
): { key: 'ItemProcessor' | 'Iterator' | 'Branches'; defs: AslDefinition[] }[] {
  const out: { key: 'ItemProcessor' | 'Iterator' | 'Branches'; defs: AslDefinition[] }[] = [];
  for (const key of ['ItemProcessor', 'Iterator'] as const)
    if (state[key]) out.push({ key, defs: [state[key] as AslDefinition] });
  if (Array.isArray(state.Branches)) out.push({ key: 'Branches', defs: state.Branches as AslDefinition[] });
  return out;
}

/** Every state of a definition by name, the states inside Map and Parallel states included. */
export function allStates(def: AslDefinition): [string, AslState][] {
  return Object.entries(def.States).flatMap(([name, s]): [string, AslState][] => [
    [name, s],
    ...nested(s).flatMap(({ defs }) => defs.flatMap(allStates)),
  ]);
}

/** The definition with `fn` applied to every state, the states inside Map and Parallel included. */
export function mapStates(
  def: AslDefinition,
  fn: (name: string, state: AslState) => AslState,
): AslDefinition {
  const States: Record<string, AslState> = {};
  for (const [name, s] of Object.entries(def.States)) {
    const out = { ...fn(name, s) };
    for (const { key, defs } of nested(out)) {
      const mapped = defs.map((d) => mapStates(d, fn));
      out[key] = key === 'Branches' ? mapped : mapped[0];
    }
    States[name] = out;
  }
  return { ...def, States };
}

/**
 * Prepares a definition for the local runtime: every Wait state becomes a Task state of the same
 * name, wiring and paths (the runtime turns it into a jump of the virtual clock; the count of
 * states entered is unchanged, so transition counts match AWS), and the deploy-time
 * `${self:custom.lambda.<name>}` resources become plain ARNs, inside Map (ItemProcessor) and
 * Parallel states too. Returns which function each Task state calls. aws-local-stepfunctions
 * keys its local handlers by state name across the whole machine, nested states included, so
 * state names must be unique across the definition.
 */
export function prepareForLocal(def: AslDefinition): {
  definition: AslDefinition;
  waits: Record<string, AslState>;
  functions: Record<string, string>;
} {
  const waits: Record<string, AslState> = {};
  const functions: Record<string, string> = {};
  const seen = new Set<string>();
  for (const [name] of allStates(def)) {
    if (seen.has(name))
      throw new Error(`State ${name} appears twice: the local runtime needs state names unique machine-wide`);
    seen.add(name);
  }
  const definition = mapStates(def, (name, s) => {
    if (s.Type === 'Wait') {
      waits[name] = s;
      const { Seconds, SecondsPath, Timestamp, TimestampPath, ...rest } = s;
      return { ...rest, Type: 'Task', Resource: LOCAL_ARN('virtual-wait') };
    }
    if (s.Type !== 'Task') return s;
    const fn = functionNameOf(s.Resource);
    if (!fn)
      throw new Error(
        `State ${name}: resource ${s.Resource} is not one of ours (\${self:custom.lambda.<name>})`,
      );
    functions[name] = fn;
    return { ...s, Resource: LOCAL_ARN(fn) };
  });
  return { definition, waits, functions };
}
