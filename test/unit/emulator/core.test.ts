import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../emulator/clock';
import { loadModel } from '../../../emulator/model';
import { Random } from '../../../emulator/random';
import { Scheduler } from '../../../emulator/scheduler';
import { RequestValidator } from '../../../emulator/validate';

describe('VirtualClock', () => {
  it('runs at speed × real time, advances by hand and changes speed without jumping', () => {
    let real = 1000;
    const clock = new VirtualClock(60, 0, () => real);
    real += 1000;
    expect(clock.now()).toBe(60_000);
    clock.advance(5000);
    expect(clock.now()).toBe(65_000);
    clock.setSpeed(1);
    expect(clock.now()).toBe(65_000);
    real += 10;
    expect(clock.now()).toBe(65_010);
  });
});

describe('Scheduler', () => {
  it('pops due entries by time, then by scheduling order, and nothing early', () => {
    const s = new Scheduler();
    s.push({ at: 30, kind: 'image', key: 'c', token: 1 });
    s.push({ at: 10, kind: 'image', key: 'a', token: 2 });
    s.push({ at: 10, kind: 'image', key: 'b', token: 3 });
    expect(s.popDue(5)).toBeUndefined();
    expect([s.popDue(20)?.key, s.popDue(20)?.key, s.popDue(20)?.key]).toEqual(['a', 'b', undefined]);
    expect(s.popDue(30)?.key).toBe('c');
  });
});

describe('Random', () => {
  it('gives lognormal samples around the median', () => {
    const r = new Random(3);
    const xs = Array.from({ length: 2001 }, () => r.lognormal(100, 0.2)).sort((a, b) => a - b);
    expect(xs[1000]).toBeGreaterThan(95);
    expect(xs[1000]).toBeLessThan(105);
  });
});

describe('RequestValidator', () => {
  const v = new RequestValidator(loadModel('appstream'));
  const error = (op: string, body: unknown) => {
    try {
      v.validate(op, body);
      return undefined;
    } catch (e) {
      return e as { code: string; message: string };
    }
  };

  it('accepts a valid request', () => {
    expect(
      error('CreateImageBuilder', { Name: 'b1', InstanceType: 'stream.standard.medium' }),
    ).toBeUndefined();
  });

  it('reports missing required members by their wire path', () => {
    expect(error('CreateImageBuilder', {})).toEqual(
      expect.objectContaining({
        code: 'ValidationException',
        message:
          "2 validation errors detected: Value null at 'instanceType' failed to satisfy constraint: Member must not be null; Value null at 'name' failed to satisfy constraint: Member must not be null",
      }),
    );
  });

  it('checks enums, ranges and nested list members', () => {
    expect(error('DescribeImages', { Type: 'SECRET' })?.message).toContain(
      "Value 'SECRET' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [PUBLIC, PRIVATE, SHARED]",
    );
    expect(error('DescribeImages', { MaxResults: -1 })?.message).toContain(
      'Member must have value greater than or equal to 0',
    );
    expect(
      error('BatchAssociateUserStack', {
        UserStackAssociations: [{ StackName: 's', UserName: 'u', AuthenticationType: 'NOPE' }],
      })?.message,
    ).toContain("at 'userStackAssociations.1.member.authenticationType'");
  });

  it('hides sensitive values', () => {
    expect(error('CreateUser', { UserName: '', AuthenticationType: 'USERPOOL' })?.message).toContain(
      "Value *** at 'userName'",
    );
  });

  it('turns wrong JSON types into SerializationException', () => {
    expect(error('DescribeImageBuilders', { Names: 'b1' })?.code).toBe('SerializationException');
  });
});
