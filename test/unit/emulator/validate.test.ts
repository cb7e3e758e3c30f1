import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadModel, type ServiceModel } from '../../../emulator/model';
import { jsonDepthExceeds } from '../../../emulator/protocol';
import { compilePattern, RequestValidator } from '../../../emulator/validate';

const modelsDir = fileURLToPath(new URL('../../../emulator/models/', import.meta.url));
const models = readdirSync(modelsDir)
  .filter((f) => f.endsWith('.service.json'))
  .map((f) => [f, JSON.parse(readFileSync(modelsDir + f, 'utf8')) as ServiceModel] as const);

describe('Model patterns on a linear-time engine (re2js)', () => {
  for (const [file, model] of models)
    it(`compiles every pattern of ${file}`, () => {
      for (const [name, shape] of Object.entries(model.shapes))
        if (shape.pattern)
          expect(() => compilePattern(shape.pattern!), `${name}: ${shape.pattern}`).not.toThrow();
    });

  const shape = (model: string, name: string) => loadModel(model as 'appstream').shapes[name].pattern!;

  it('keeps the meaning of translated lookarounds', () => {
    const bucket = compilePattern(shape('appstream', 'S3Bucket'));
    expect(['my-bucket', 'a.b-c', 'abc'].map(bucket)).toEqual([true, true, true]);
    expect(['bucket.', 'Upper'].map(bucket)).toEqual([false, false]);
    const tagKey = compilePattern(shape('appstream', 'TagKey'));
    expect(['env', 'aws-ok', 'é:x', '__proto__'].map(tagKey)).toEqual([true, true, true, true]);
    expect(['aws:reserved', 'a!b'].map(tagKey)).toEqual([false, false]);
    const action = compilePattern(shape('application-autoscaling', 'ScheduledActionName'));
    expect(['scale up at 8', 'a'].map(action)).toEqual([true, true]);
    expect([' lead', 'trail ', 'a:b', 'a/b', 'a|b', 'a\u0001b', ''].map(action)).toEqual(
      Array(7).fill(false),
    );
  });

  it('keeps the meaning of translated escapes, classes and long repeats', () => {
    const xml = compilePattern(shape('application-autoscaling', 'XmlString'));
    expect(['plain', 'emoji 😀', 'tab\tnewline\n', ''].map(xml)).toEqual([true, true, true, true]);
    expect(['bell\u0007', 'lone \uD800'].map(xml)).toEqual([false, false]);
    const print = compilePattern(shape('application-autoscaling', 'PolicyName'));
    expect([print('policy-1 (x)'), print('é'), print('')]).toEqual([true, false, false]);
    const arn = compilePattern(shape('appstream', 'Arn'));
    expect(arn(`arn:aws:iam::123456789012:role/${'r'.repeat(1000)}`)).toBe(true);
    expect(arn(`arn:aws:iam::123456789012:role/${'r'.repeat(1030)}`)).toBe(false);
  });

  it('matches a megabyte in time linear in its length', () => {
    const xml = compilePattern(shape('application-autoscaling', 'XmlString'));
    const t = performance.now();
    expect(xml('a'.repeat(1_000_000))).toBe(true);
    // Generous: a backtracking engine on the model's nested-quantifier patterns takes seconds.
    expect(performance.now() - t).toBeLessThan(1000);
  });
});

describe('RequestValidator sanitizing', () => {
  const v = new RequestValidator(loadModel('appstream'));

  it('returns only the declared members, recursively; maps keep all their keys', () => {
    const tags = JSON.parse('{"__proto__": "p", "constructor": "c", "env": "dev"}');
    const out = v.validate('CreateStack', {
      Name: 's1',
      Evil: 1,
      constructor: 'x',
      StorageConnectors: [{ ConnectorType: 'HOMEFOLDERS', Evil: 2 }],
      Tags: tags,
    });
    expect(out).toEqual({
      Name: 's1',
      StorageConnectors: [{ ConnectorType: 'HOMEFOLDERS' }],
      Tags: tags,
    });
    expect(Object.keys(out.Tags as object)).toEqual(['__proto__', 'constructor', 'env']);
    expect(Object.getPrototypeOf(out.Tags)).toBe(Object.prototype);
  });

  it('treats null members as absent and refuses null list items', () => {
    expect(v.validate('DescribeStacks', { Names: null, NextToken: null })).toEqual({});
    expect(() => v.validate('DescribeStacks', { Names: ['a', null] })).toThrow(
      "Value null at 'names.2.member' failed to satisfy constraint: Member must not be null",
    );
  });

  it('refuses integers that do not fit a Java int (integer) or long (long): SerializationException', () => {
    const err = (op: string, body: unknown) => {
      try {
        v.validate(op, body);
      } catch (e) {
        return { code: (e as { code?: string }).code, message: (e as Error).message };
      }
      return undefined;
    };
    const fleet = (n: number, extra: Record<string, unknown> = {}) => ({
      Name: 'f',
      InstanceType: 'stream.standard.medium',
      ComputeCapacity: { DesiredInstances: n },
      ...extra,
    });
    expect(err('CreateFleet', fleet(2147483647))).toBeUndefined();
    expect(err('CreateFleet', fleet(2147483648))).toEqual({
      code: 'SerializationException',
      message:
        "Numeric value (2147483648) out of range of int (-2147483648 - 2147483647) at 'computeCapacity.desiredInstances'",
    });
    expect(err('CreateFleet', fleet(1e308))?.code).toBe('SerializationException');
    expect(err('CreateFleet', fleet(-2147483649))?.code).toBe('SerializationException');
    // Every integer member, not only DesiredInstances.
    expect(err('CreateFleet', fleet(1, { MaxUserDurationInSeconds: 2 ** 40 }))?.message).toContain(
      "at 'maxUserDurationInSeconds'",
    );
    expect(err('DescribeImages', { MaxResults: 1e308 })?.code).toBe('SerializationException');
    // `long` (CreateStreamingURL.Validity) is 64-bit: 2^40 deserializes and fails the range instead.
    const url = (validity: number) => ({
      StackName: 's',
      FleetName: 'f',
      UserId: 'user1',
      Validity: validity,
    });
    expect(err('CreateStreamingURL', url(2 ** 40))?.code).toBe('ValidationException');
    expect(err('CreateStreamingURL', url(2 ** 63))?.code).toBe('SerializationException');
    expect(err('CreateStreamingURL', url(1e308))?.message).toContain('out of range of long');
  });

  it('looks operations up among the model’s own only', () => {
    for (const op of ['constructor', '__proto__', 'toString', 'hasOwnProperty'])
      expect(v.validate(op, { Name: 'x' })).toEqual({});
  });

  it('checks a length before a pattern and reports one problem per member', () => {
    const message = (() => {
      try {
        v.validate('UpdateFleet', { UsbDeviceFilterStrings: ['!'.repeat(200_000)] });
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(message).toMatch(
      /^1 validation error detected: .* Member must have length less than or equal to 100$/,
    );
    expect(message).not.toContain('regular expression');
  });
});

describe('JSON nesting depth', () => {
  it('counts brackets outside strings only', () => {
    expect(jsonDepthExceeds('[[[]]]', 3)).toBe(false);
    expect(jsonDepthExceeds('[[[[]]]]', 3)).toBe(true);
    expect(jsonDepthExceeds(JSON.stringify({ a: '[[[[[[[["\\' }), 3)).toBe(false);
    expect(jsonDepthExceeds(`{"a":${'['.repeat(1001)}${']'.repeat(1001)}}`)).toBe(true);
  });
});
