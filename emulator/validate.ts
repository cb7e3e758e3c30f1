import { RE2JS } from 're2js';
import { ServiceError } from './errors';
import type { ServiceModel, Shape } from './model';

/**
 * Validates a request body against the operation's input shape the way AWS JSON services do,
 * and returns a sanitized copy: only the members the model declares (recursively, for
 * structures; maps keep their keys), so unknown members are dropped at parse time and never
 * stored or echoed (AWS ignores them). Wrong JSON types are SerializationExceptions; constraint
 * violations are collected into one ValidationException ("N validation errors detected: Value
 * ... at 'member.path' failed to satisfy constraint: ...").
 *
 * Cost is linear in the request's size: a string's length is checked before its pattern, a
 * member that already failed is not matched against its pattern, and patterns run on re2js
 * (a linear-time engine, no backtracking), compiled once per pattern.
 */
export class RequestValidator {
  private readonly patterns = new Map<string, Matcher>();
  /** Results remembered during the current request, per pattern (see `matches`); cleared after it. */
  private readonly remembered = new Map<string, Map<string, boolean>>();

  constructor(private readonly model: ServiceModel) {}

  validate(operation: string, body: unknown): Record<string, unknown> {
    const op = Object.hasOwn(this.model.operations, operation) ? this.model.operations[operation] : undefined;
    const shapeName = op?.input?.shape;
    if (!shapeName) return {};
    const problems = new Problems();
    let out: Record<string, unknown> | undefined;
    try {
      out = this.check(shapeName, body, '', problems) as Record<string, unknown> | undefined;
    } finally {
      this.remembered.clear();
    }
    if (problems.count > 0) {
      const n = problems.count;
      throw new ServiceError(
        'ValidationException',
        `${n} validation error${n > 1 ? 's' : ''} detected: ${problems.listed.join('; ')}${
          n > MAX_LISTED ? `; (${n - MAX_LISTED} more)` : ''
        }`,
      );
    }
    return out ?? {};
  }

  /** Checks `value` against a shape and returns its sanitized copy (undefined for null/absent). */
  private check(shapeName: string, value: unknown, path: string, problems: Problems): unknown {
    const shape = this.model.shapes[shapeName];
    if (value === null || value === undefined) return undefined;
    switch (shape.type) {
      case 'structure':
        return this.checkStructure(shapeName, shape, value, path, problems);
      case 'list': {
        if (!Array.isArray(value)) throw typeError('Start of list', value, path);
        this.checkSize(shape, value.length, value, path, problems);
        const out: unknown[] = [];
        for (let i = 0; i < value.length; i++) {
          const itemPath = `${path}.${i + 1}.member`;
          if (value[i] === null || value[i] === undefined) {
            problems.add(
              () => `Value null at '${itemPath}' failed to satisfy constraint: Member must not be null`,
            );
            continue;
          }
          out.push(this.check(shape.member!.shape, value[i], itemPath, problems));
        }
        return out;
      }
      case 'map': {
        if (typeof value !== 'object' || Array.isArray(value)) throw typeError('Start of map', value, path);
        const entries = Object.entries(value);
        this.checkSize(shape, entries.length, value, path, problems);
        const out: Record<string, unknown> = {};
        const keyShape = this.model.shapes[shape.key!.shape];
        for (const [k, v] of entries) {
          this.checkScalar(keyShape, k, `${path}.key`, problems);
          if (v === null || v === undefined) {
            problems.add(
              () =>
                `Value null at '${path}.${k}.value' failed to satisfy constraint: Member must not be null`,
            );
            continue;
          }
          // A data property even for keys like `__proto__` (a valid tag key): never a prototype change.
          Object.defineProperty(out, k, {
            value: this.check(shape.value!.shape, v, `${path}.${k}.value`, problems),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        return out;
      }
      default:
        this.checkScalar(shape, value, path, problems);
        return value;
    }
  }

  private checkStructure(
    shapeName: string,
    shape: Shape,
    value: unknown,
    path: string,
    problems: Problems,
  ): unknown {
    if (typeof value !== 'object' || Array.isArray(value)) throw typeError('Start of structure', value, path);
    const obj = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    const members = shape.members ?? {};
    for (const name in members) {
      const memberPath = path ? `${path}.${lowerFirst(name)}` : lowerFirst(name);
      const v = Object.hasOwn(obj, name) ? obj[name] : undefined;
      if ((v === undefined || v === null) && shape.required?.includes(name)) {
        problems.add(
          () => `Value null at '${memberPath}' failed to satisfy constraint: Member must not be null`,
        );
        continue;
      }
      const checked = this.check(members[name].shape, v, memberPath, problems);
      if (typeof checked === 'number') {
        const range = RANGES.get(`${shapeName}.${name}`);
        if (range) this.checkRange(range, checked, memberPath, problems);
      }
      if (checked !== undefined) out[name] = checked;
    }
    return out;
  }

  private checkScalar(shape: Shape, value: unknown, path: string, problems: Problems): void {
    switch (shape.type) {
      case 'string': {
        if (typeof value !== 'string') throw typeError('STRING_VALUE expected', value, path);
        const sensitive = shape.sensitive === true;
        // Length first; a member that already failed is not matched against its pattern.
        if (shape.min !== undefined && value.length < shape.min) {
          problems.value(
            sensitive,
            value,
            path,
            `Member must have length greater than or equal to ${shape.min}`,
          );
          return;
        }
        if (shape.max !== undefined && value.length > shape.max) {
          problems.value(
            sensitive,
            value,
            path,
            `Member must have length less than or equal to ${shape.max}`,
          );
          return;
        }
        const { enum: values } = shape;
        if (values) {
          if (!values.includes(value))
            problems.value(
              sensitive,
              value,
              path,
              `Member must satisfy enum value set: [${values.join(', ')}]`,
            );
          return;
        }
        if (shape.pattern && !this.matches(shape.pattern, value))
          problems.value(
            sensitive,
            value,
            path,
            `Member must satisfy regular expression pattern: ${shape.pattern}`,
          );
        return;
      }
      case 'integer':
      case 'long':
        if (typeof value !== 'number' || !Number.isInteger(value))
          throw typeError(`${shape.type === 'long' ? 'Long' : 'Integer'} expected`, value, path);
        if (!fitsJavaType(value, shape.type)) throw overflowError(value, shape.type, path);
        this.checkRange(shape, value, path, problems);
        return;
      case 'double':
      case 'float':
        if (typeof value !== 'number') throw typeError('Number expected', value, path);
        return;
      case 'boolean':
        if (typeof value !== 'boolean') throw typeError('Boolean expected', value, path);
        return;
      case 'timestamp':
        if (typeof value !== 'number') throw typeError('Timestamp (epoch seconds) expected', value, path);
        return;
      default:
        return;
    }
  }

  /** A number against its shape's (or RANGES') min and max. */
  private checkRange(
    range: { min?: number; max?: number },
    value: number,
    path: string,
    problems: Problems,
  ): void {
    if (range.min !== undefined && value < range.min)
      problems.add(() =>
        fail(String(value), path, `Member must have value greater than or equal to ${range.min}`),
      );
    else if (range.max !== undefined && value > range.max)
      problems.add(() =>
        fail(String(value), path, `Member must have value less than or equal to ${range.max}`),
      );
  }

  private checkSize(shape: Shape, size: number, value: unknown, path: string, problems: Problems): void {
    if (shape.min !== undefined && size < shape.min)
      problems.add(() =>
        fail(shownCollection(value), path, `Member must have length greater than or equal to ${shape.min}`),
      );
    else if (shape.max !== undefined && size > shape.max)
      problems.add(() =>
        fail(shownCollection(value), path, `Member must have length less than or equal to ${shape.max}`),
      );
  }

  /**
   * The pattern's matcher, remembering its results for short values during this request: lists
   * repeat values (the same tag, filter string or security group in many items), and re2js,
   * linear as it is, costs far more per character than a Map lookup. Forgotten after the
   * request, so nothing accumulates across requests.
   */
  private matches(pattern: string, value: string): boolean {
    let compiled = this.patterns.get(pattern);
    if (!compiled) {
      compiled = compilePattern(pattern);
      this.patterns.set(pattern, compiled);
    }
    if (value.length > REMEMBERED_LENGTH) return compiled(value);
    let seen = this.remembered.get(pattern);
    if (!seen) {
      seen = new Map();
      this.remembered.set(pattern, seen);
    }
    let result = seen.get(value);
    if (result === undefined) {
      result = compiled(value);
      seen.set(value, result);
    }
    return result;
  }
}

type Matcher = (value: string) => boolean;

/** Values up to this long have their match result remembered within a request (see `matches`). */
const REMEMBERED_LENGTH = 256;

/**
 * The constraint violations of one request: all are counted, only the first MAX_LISTED messages
 * are built (a hostile request with 20,000 failing items would otherwise build megabytes of
 * messages nobody sees, and the garbage collection that follows).
 */
class Problems {
  count = 0;
  readonly listed: string[] = [];

  add(message: () => string): void {
    if (this.count++ < MAX_LISTED) this.listed.push(message());
  }

  /** A string member's violation; the value is shown (up to MAX_SHOWN characters) unless sensitive. */
  value(sensitive: boolean, value: string, path: string, constraint: string): void {
    if (this.count++ >= MAX_LISTED) return;
    const shown = sensitive
      ? '***'
      : `'${value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}...` : value}'`;
    this.listed.push(fail(shown, path, constraint));
  }
}

/**
 * A ValidationException counts every problem but lists the first MAX_LISTED, and shows at most
 * MAX_SHOWN characters of a value: a hostile request's answer stays small (AWS echoes values
 * in full; requests that big are not made by well-behaved clients).
 */
const MAX_LISTED = 100;
const MAX_SHOWN = 1024;

/**
 * Ranges AWS enforces on numbers the model leaves unbounded (`Integer`/`Long` without min/max),
 * reported with the model's wording. Counts can't be negative (a negative DesiredInstances used
 * to show `Running: -3`); session limits are at least 1; a streaming URL is valid for 1 to
 * 604800 seconds (API reference, CreateStreamingURL: "Specify a value between 1 and 604800
 * seconds").
 */
const RANGES = new Map<string, { min?: number; max?: number }>([
  ['ComputeCapacity.DesiredInstances', { min: 0 }],
  ['ComputeCapacity.DesiredSessions', { min: 0 }],
  ['CreateFleetRequest.MaxConcurrentSessions', { min: 1 }],
  ['UpdateFleetRequest.MaxConcurrentSessions', { min: 1 }],
  ['CreateFleetRequest.MaxSessionsPerInstance', { min: 1 }],
  ['UpdateFleetRequest.MaxSessionsPerInstance', { min: 1 }],
  ['CreateStreamingURLRequest.Validity', { min: 1, max: 604800 }],
  ['CreateImageBuilderStreamingURLRequest.Validity', { min: 1, max: 604800 }],
  ['CreateAppBlockBuilderStreamingURLRequest.Validity', { min: 1, max: 604800 }],
  ['DescribeSessionsRequest.Limit', { min: 0 }],
  ['ScriptDetails.TimeoutInSeconds', { min: 1 }],
  ['VolumeConfig.VolumeSizeInGb', { min: 1 }],
  ['UserSetting.MaximumLength', { min: 0 }],
]);

/**
 * Model patterns are Java regexes matched against the whole value (`String.matches`). re2js
 * speaks RE2 syntax, which lacks a few Java constructs the bundled models use; these are
 * translated to equivalents (test/unit/emulator/validate.test.ts compiles every model pattern):
 * - lookarounds (no RE2 equivalent) → an equivalent RE2 pattern plus a plain string check;
 * - repeat counts over 1000 (RE2's limit) → split into two bounded repeats (`x{0,1023}` →
 *   `x{0,1000}x{0,23}`);
 * - Java `\uXXXX` escapes → `\x{XXXX}`, and the UTF-16 surrogate-pair range
 *   `\uD800\uDC00-\uDBFF\uDFFF` → the supplementary code points `\x{10000}-\x{10FFFF}`
 *   (so is STS's `\u10000-\u10FFFF`, which Java would read as `\u1000` + `0-\u10FF` + `FF`:
 *   the intent is the supplementary planes);
 * - `\p{Print}` (a POSIX class, US-ASCII in Java) → `[\x20-\x7E]`.
 */
const LOOKAROUNDS: Record<string, { re2: string; also: Matcher }> = {
  // S3Bucket: "must not end with '.'" via a lookbehind.
  '^[0-9a-z\\.\\-]*(?<!\\.)$': { re2: '[0-9a-z.\\-]*', also: (s) => !s.endsWith('.') },
  // TagKey: "must not begin with 'aws:'" via a lookahead.
  '^(^(?!aws:).[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$': {
    re2: '.[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*',
    also: (s) => !s.startsWith('aws:'),
  },
  // ScheduledActionName (Application Auto Scaling): no leading or trailing spaces, no control
  // characters, no ':', '/' or '|'.
  '(?!((^[ ]+.*)|(.*([\\u0000-\\u001f]|[\\u007f-\\u009f]|[:/|])+.*)|(.*[ ]+$))).+': {
    re2: '[^\\x00-\\x1f\\x7f-\\x9f:/|\\n\\x{2028}\\x{2029}]+',
    also: (s) => !s.startsWith(' ') && !s.endsWith(' '),
  },
};

export function compilePattern(pattern: string): Matcher {
  const special = Object.hasOwn(LOOKAROUNDS, pattern) ? LOOKAROUNDS[pattern] : undefined;
  const source = special ? special.re2 : translate(pattern);
  const re = RE2JS.compile(`^(?:${source})$`);
  if (special) return (s) => special.also(s) && re.matches(s);
  return (s) => re.matches(s);
}

function translate(pattern: string): string {
  return pattern
    .replaceAll('\\uD800\\uDC00-\\uDBFF\\uDFFF', '\\x{10000}-\\x{10FFFF}')
    .replaceAll('\\u10000-\\u10FFFF', '\\x{10000}-\\x{10FFFF}')
    .replace(/\\u([0-9A-Fa-f]{4})/g, '\\x{$1}')
    .replaceAll('\\p{Print}', '[\\x20-\\x7E]')
    .replace(
      /(\[(?:\\.|[^\]\\])*\]|\\.|[^\\[\]{}()])\{(\d+),(\d+)\}/g,
      (whole, atom: string, lo: string, hi: string) => {
        const min = Number(lo);
        const max = Number(hi);
        if (max <= 1000) return whole;
        return `${atom}{${Math.min(min, 1000)},1000}${atom}{${Math.max(0, min - 1000)},${max - 1000}}`;
      },
    );
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

const fail = (shown: string, path: string, constraint: string) =>
  `Value ${shown} at '${path}' failed to satisfy constraint: ${constraint}`;

/** A list or map as AWS shows it in a message; huge ones are not serialized whole. */
function shownCollection(value: unknown): string {
  const n = Array.isArray(value) ? value.length : Object.keys(value as object).length;
  return n > 100 ? `[${n} items]` : safeStringify(value);
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return '[unprintable]';
  }
}

/**
 * The models' `integer` is a Java `int` (32-bit) and `long` a Java `long` (64-bit). AWS's JSON
 * front ends parse with Jackson, which refuses a number that doesn't fit before any constraint is
 * checked ("Numeric value (2147483648) out of range of int (-2147483648 - 2147483647)", Jackson's
 * wording as reported in e.g. minio/minio-java#1517, jenkinsci/gitlab-plugin#1705): a parse error,
 * i.e. `SerializationException` like every other value that doesn't deserialize, never a
 * ValidationException or a later business error ("1e+308 instances").
 */
const JAVA_RANGES = {
  integer: { min: -(2 ** 31), max: 2 ** 31 - 1, name: 'int', text: '-2147483648 - 2147483647' },
  long: { min: -(2 ** 63), max: 2 ** 63, name: 'long', text: '-9223372036854775808 - 9223372036854775807' },
} as const;

function fitsJavaType(value: number, type: 'integer' | 'long'): boolean {
  const r = JAVA_RANGES[type];
  // 2^63 itself is not a long; doubles can't hold 2^63 − 1, so `< 2^63` is the exact test.
  return type === 'long' ? value >= r.min && value < r.max : value >= r.min && value <= r.max;
}

function overflowError(value: number, type: 'integer' | 'long', path: string): ServiceError {
  const r = JAVA_RANGES[type];
  const shown = Math.abs(value) < 1e21 ? BigInt(value).toString() : String(value);
  return new ServiceError(
    'SerializationException',
    `Numeric value (${shown}) out of range of ${r.name} (${r.text}) at '${path}'`,
  );
}

function typeError(expected: string, value: unknown, path: string): ServiceError {
  const got = value === null ? 'null' : Array.isArray(value) ? 'list' : typeof value;
  return new ServiceError('SerializationException', `${expected} but found ${got} at '${path}'`);
}
