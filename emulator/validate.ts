import { ServiceError } from './errors';
import type { ServiceModel, Shape } from './model';

/**
 * Validates a request body against the operation's input shape the way AWS JSON services do:
 * wrong JSON types are SerializationExceptions; constraint violations are collected into one
 * ValidationException ("N validation errors detected: Value ... at 'member.path' failed to
 * satisfy constraint: ..."). Unknown members are ignored, as AWS does.
 */
export class RequestValidator {
  private readonly patterns = new Map<string, RegExp | null>();

  constructor(private readonly model: ServiceModel) {}

  validate(operation: string, body: unknown): void {
    const shapeName = this.model.operations[operation]?.input?.shape;
    if (!shapeName) return;
    const problems: string[] = [];
    this.check(shapeName, body, '', problems);
    if (problems.length > 0) {
      const n = problems.length;
      throw new ServiceError(
        'ValidationException',
        `${n} validation error${n > 1 ? 's' : ''} detected: ${problems.join('; ')}`,
      );
    }
  }

  private check(shapeName: string, value: unknown, path: string, problems: string[]): void {
    const shape = this.model.shapes[shapeName];
    if (value === null || value === undefined) return;
    switch (shape.type) {
      case 'structure':
        this.checkStructure(shape, value, path, problems);
        return;
      case 'list':
        if (!Array.isArray(value)) throw typeError('Start of list', value, path);
        this.checkSize(shape, value.length, value, path, problems);
        value.forEach((item, i) => {
          this.check(shape.member!.shape, item, `${path}.${i + 1}.member`, problems);
        });
        return;
      case 'map':
        if (typeof value !== 'object' || Array.isArray(value)) throw typeError('Start of map', value, path);
        this.checkSize(shape, Object.keys(value).length, value, path, problems);
        for (const [k, v] of Object.entries(value)) {
          this.checkScalar(this.model.shapes[shape.key!.shape], k, `${path}.key`, problems);
          this.check(shape.value!.shape, v, `${path}.${k}.value`, problems);
        }
        return;
      default:
        this.checkScalar(shape, value, path, problems);
        return;
    }
  }

  private checkStructure(shape: Shape, value: unknown, path: string, problems: string[]): void {
    if (typeof value !== 'object' || Array.isArray(value)) throw typeError('Start of structure', value, path);
    const obj = value as Record<string, unknown>;
    for (const [name, member] of Object.entries(shape.members ?? {})) {
      const memberPath = path ? `${path}.${lowerFirst(name)}` : lowerFirst(name);
      const v = obj[name];
      if ((v === undefined || v === null) && shape.required?.includes(name)) {
        problems.push(`Value null at '${memberPath}' failed to satisfy constraint: Member must not be null`);
        continue;
      }
      this.check(member.shape, v, memberPath, problems);
    }
  }

  private checkScalar(shape: Shape, value: unknown, path: string, problems: string[]): void {
    switch (shape.type) {
      case 'string': {
        if (typeof value !== 'string') throw typeError('STRING_VALUE expected', value, path);
        const shown = shape.sensitive ? '***' : `'${value}'`;
        if (shape.min !== undefined && value.length < shape.min)
          problems.push(fail(shown, path, `Member must have length greater than or equal to ${shape.min}`));
        if (shape.max !== undefined && value.length > shape.max)
          problems.push(fail(shown, path, `Member must have length less than or equal to ${shape.max}`));
        if (shape.enum && !shape.enum.includes(value))
          problems.push(fail(shown, path, `Member must satisfy enum value set: [${shape.enum.join(', ')}]`));
        if (shape.pattern) {
          const re = this.regex(shape.pattern);
          if (re && !re.test(value))
            problems.push(
              fail(shown, path, `Member must satisfy regular expression pattern: ${shape.pattern}`),
            );
        }
        return;
      }
      case 'integer':
      case 'long':
        if (typeof value !== 'number' || !Number.isInteger(value))
          throw typeError(`${shape.type === 'long' ? 'Long' : 'Integer'} expected`, value, path);
        if (shape.min !== undefined && value < shape.min)
          problems.push(
            fail(String(value), path, `Member must have value greater than or equal to ${shape.min}`),
          );
        if (shape.max !== undefined && value > shape.max)
          problems.push(
            fail(String(value), path, `Member must have value less than or equal to ${shape.max}`),
          );
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

  private checkSize(shape: Shape, size: number, value: unknown, path: string, problems: string[]): void {
    const shown = JSON.stringify(value);
    if (shape.min !== undefined && size < shape.min)
      problems.push(fail(shown, path, `Member must have length greater than or equal to ${shape.min}`));
    if (shape.max !== undefined && size > shape.max)
      problems.push(fail(shown, path, `Member must have length less than or equal to ${shape.max}`));
  }

  /** Model patterns are Java regexes matched against the whole value. */
  private regex(pattern: string): RegExp | null {
    if (!this.patterns.has(pattern)) {
      let re: RegExp | null = null;
      try {
        re = new RegExp(`^(?:${pattern})$`, 'u');
      } catch {
        try {
          re = new RegExp(`^(?:${pattern})$`);
        } catch {
          re = null;
        }
      }
      this.patterns.set(pattern, re);
    }
    return this.patterns.get(pattern)!;
  }
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

const fail = (shown: string, path: string, constraint: string) =>
  `Value ${shown} at '${path}' failed to satisfy constraint: ${constraint}`;

function typeError(expected: string, value: unknown, path: string): ServiceError {
  const got = Array.isArray(value) ? 'list' : typeof value;
  return new ServiceError('SerializationException', `${expected} but found ${got} at '${path}'`);
}
