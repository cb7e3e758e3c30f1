import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DAY, HOUR, MINUTE } from '../../../lib/cleanup/duration';
import {
  loadCleanupPolicy,
  outOfScope,
  parseCleanupPolicy,
  validateCleanupPolicy,
} from '../../../lib/cleanup/policy';
import { ConfigError } from '../../../lib/errors';
import { TAG } from '../../../lib/tags';

const ISSUE_EXAMPLE = `
warnAfter: 2h            # notify
stopAfter: 4h            # stop a RUNNING builder idle this long
deleteStoppedAfter: 30d  # delete builders STOPPED this long (off when absent)
optOutTag: autopilot:keep
scope:
  regions: [eu-west-1, us-east-1]
  accounts:
    - { id: "111122223333", roleArn: arn:aws:iam::111122223333:role/autopilot-cleanup }
  include: { namePrefix: "", tags: {} }
dryRun: false
notify: { topicArn: "arn:aws:sns:eu-west-1:111122223333:cleanup" }
`;

const minimal = (extra: Record<string, unknown> = {}) => ({
  warnAfter: '2h',
  stopAfter: '4h',
  notify: 'none',
  scope: { regions: ['eu-west-1'] },
  ...extra,
});

/** The ConfigError message validating `value` throws. */
function errorOf(value: unknown): string {
  try {
    validateCleanupPolicy(value, 'cleanup.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).name).toBe('ConfigError');
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('Cleanup policy: the issue example', () => {
  it('parses with durations in ms and the defaults filled in', () => {
    const p = parseCleanupPolicy(ISSUE_EXAMPLE);
    expect(p).toMatchObject({
      warnAfter: 2 * HOUR,
      stopAfter: 4 * HOUR,
      deleteStoppedAfter: 30 * DAY,
      deleteWarnBefore: DAY,
      minNotice: HOUR,
      optOutTag: TAG.keep,
      sessionGrace: 8 * HOUR,
      presenceLimit: 12 * HOUR,
      withoutConnectionSignal: 'warn-only',
      dryRun: false,
      notify: { topicArn: 'arn:aws:sns:eu-west-1:111122223333:cleanup', actions: ['warn', 'stop', 'delete'] },
    });
    expect(p.scope.accounts).toEqual([
      { id: '111122223333', roleArn: 'arn:aws:iam::111122223333:role/autopilot-cleanup' },
    ]);
    expect(p.scope.include).toEqual({ namePrefix: [], tags: {} });
  });

  it('parses examples/cleanup.yaml', () => {
    const p = loadCleanupPolicy('examples/cleanup.yaml');
    expect(p.scope.regions).toEqual(['eu-west-1', 'us-east-1']);
    expect(p.scope.accounts![1]).toEqual({
      id: '444455556666',
      externalId: 'autopilot',
      roleArn: 'arn:aws:iam::444455556666:role/autopilot-cleanup',
    });
    expect(p.scope.exclude).toEqual({ namePrefix: ['golden-'], tags: { environment: 'production' } });
  });
});

describe('Cleanup policy: defaults', () => {
  it('deletes nothing when deleteStoppedAfter is absent', () => {
    const p = validateCleanupPolicy(minimal());
    expect(p.deleteStoppedAfter).toBeUndefined();
    expect(p.deleteWarnBefore).toBeUndefined();
    expect(p.scope.accounts).toBeUndefined();
    expect(p.notify).toBeUndefined();
  });

  it('minNotice defaults to min(1h, stopAfter - warnAfter)', () => {
    expect(validateCleanupPolicy(minimal()).minNotice).toBe(HOUR);
    expect(validateCleanupPolicy(minimal({ warnAfter: '3h50m' })).minNotice).toBe(10 * MINUTE);
    expect(validateCleanupPolicy(minimal({ minNotice: '3h' })).minNotice).toBe(3 * HOUR);
  });

  it('deleteWarnBefore defaults to min(1d, deleteStoppedAfter)', () => {
    expect(validateCleanupPolicy(minimal({ deleteStoppedAfter: '30d' })).deleteWarnBefore).toBe(DAY);
    expect(validateCleanupPolicy(minimal({ deleteStoppedAfter: '2h' })).deleteWarnBefore).toBe(2 * HOUR);
  });

  it('takes accounts as bare ids with the default role name, or scope.roleName', () => {
    const p = validateCleanupPolicy(
      minimal({ scope: { regions: ['eu-west-1'], accounts: ['111122223333', 444455556666] } }),
    );
    expect(p.scope.accounts).toEqual([
      { id: '111122223333', roleArn: 'arn:aws:iam::111122223333:role/autopilot-cleanup' },
      { id: '444455556666', roleArn: 'arn:aws:iam::444455556666:role/autopilot-cleanup' },
    ]);
    const q = validateCleanupPolicy(
      minimal({ scope: { regions: ['eu-west-1'], roleName: 'sweeper', accounts: ['111122223333'] } }),
    );
    expect(q.scope.accounts![0].roleArn).toBe('arn:aws:iam::111122223333:role/sweeper');
  });

  it('takes a role ARN with a path', () => {
    const roleArn = 'arn:aws:iam::111122223333:role/ops/autopilot-cleanup';
    const p = validateCleanupPolicy(
      minimal({ scope: { regions: ['eu-west-1'], accounts: [{ id: '111122223333', roleArn }] } }),
    );
    expect(p.scope.accounts![0].roleArn).toBe(roleArn);
  });
});

describe('Cleanup policy: errors name the field', () => {
  it('requires warnAfter, stopAfter and scope.regions', () => {
    const message = errorOf({ scope: {} });
    expect(message).toMatch(/^cleanup\.yaml: /);
    expect(message).toContain('warnAfter: required');
    expect(message).toContain('stopAfter: required');
    expect(message).toContain('scope.regions:');
  });

  it('refuses a duration without a unit or in seconds', () => {
    expect(errorOf(minimal({ warnAfter: 120 }))).toContain('warnAfter: needs a unit');
    expect(errorOf(minimal({ sessionGrace: '90s' }))).toContain(
      "sessionGrace: '90s': cleanup works to the minute",
    );
  });

  it('requires notify unless dryRun, or notify: none (warnings by tags only)', () => {
    const { notify: _, ...bare } = minimal();
    expect(errorOf(bare)).toContain('notify: is required');
    expect(validateCleanupPolicy({ ...bare, dryRun: true }).notify).toBeUndefined();
    expect(validateCleanupPolicy(minimal()).notify).toBeUndefined();
  });

  it('requires warnAfter < stopAfter: a stop is always warned first', () => {
    expect(errorOf(minimal({ warnAfter: '4h' }))).toContain(
      'stopAfter: must be longer than warnAfter (4h): a stop is always warned first',
    );
    expect(errorOf(minimal({ warnAfter: '5h' }))).toContain('stopAfter: must be longer than warnAfter (5h)');
    expect(validateCleanupPolicy(minimal({ warnAfter: '3h59m' })).warnAfter).toBe(239 * MINUTE);
  });

  it('requires at least a minute where zero makes no sense; sessionGrace at least 30m', () => {
    expect(errorOf(minimal({ warnAfter: '0m' }))).toContain('warnAfter: must be at least 1m');
    expect(errorOf(minimal({ minNotice: '0m' }))).toContain('minNotice: must be at least 1m');
    expect(errorOf(minimal({ deleteStoppedAfter: '0m' }))).toContain(
      'deleteStoppedAfter: must be at least 1m',
    );
    expect(errorOf(minimal({ sessionGrace: '0m' }))).toContain('sessionGrace: must be at least 30m');
  });

  it('presenceLimit: a duration like the others (default 12h), errors naming the field', () => {
    expect(validateCleanupPolicy(minimal({ presenceLimit: '90m' })).presenceLimit).toBe(90 * MINUTE);
    expect(errorOf(minimal({ presenceLimit: 12 }))).toContain('presenceLimit: needs a unit');
    expect(errorOf(minimal({ presenceLimit: '30s' }))).toContain(
      "presenceLimit: '30s': cleanup works to the minute",
    );
    expect(errorOf(minimal({ presenceLimit: '0m' }))).toContain('presenceLimit: must be at least 1m');
  });

  it('checks deleteWarnBefore against deleteStoppedAfter', () => {
    expect(errorOf(minimal({ deleteWarnBefore: '1d' }))).toContain(
      'deleteWarnBefore: needs deleteStoppedAfter',
    );
    expect(errorOf(minimal({ deleteStoppedAfter: '1d', deleteWarnBefore: '2d' }))).toContain(
      'deleteWarnBefore: must not exceed deleteStoppedAfter (1d)',
    );
  });

  it('requires AppStream regions, once each', () => {
    expect(errorOf(minimal({ scope: { regions: ['us-west-1'] } }))).toContain(
      'scope.regions.0: must be a region where AppStream 2.0 runs',
    );
    expect(errorOf(minimal({ scope: { regions: [] } }))).toContain(
      'scope.regions: must list at least one region',
    );
    expect(errorOf(minimal({ scope: { regions: ['eu-west-1', 'eu-west-1'] } }))).toContain(
      'scope.regions.1: duplicate region eu-west-1',
    );
  });

  it('requires 12-digit account ids, quoted when they start with 0', () => {
    expect(
      errorOf(minimal({ scope: { regions: ['eu-west-1'], accounts: [{ id: 12345678901 }] } })),
    ).toContain(
      'scope.accounts.0.id: must be a 12-digit account id (quote it: a YAML number loses leading zeros)',
    );
    expect(
      validateCleanupPolicy(minimal({ scope: { regions: ['eu-west-1'], accounts: ['012345678901'] } })).scope
        .accounts![0].id,
    ).toBe('012345678901');
  });

  it('requires a role ARN of the account it is listed for', () => {
    const accounts = [{ id: '111122223333', roleArn: 'arn:aws:iam::444455556666:role/autopilot-cleanup' }];
    expect(errorOf(minimal({ scope: { regions: ['eu-west-1'], accounts } }))).toContain(
      "scope.accounts.0.roleArn: names account 444455556666, not the account's id 111122223333",
    );
    const bad = [{ id: '111122223333', roleArn: 'arn:aws:iam::111122223333:user/bob' }];
    expect(errorOf(minimal({ scope: { regions: ['eu-west-1'], accounts: bad } }))).toContain(
      'scope.accounts.0.roleArn: must be an IAM role ARN',
    );
  });

  it('refuses an account listed twice', () => {
    expect(
      errorOf(minimal({ scope: { regions: ['eu-west-1'], accounts: ['111122223333', '111122223333'] } })),
    ).toContain('scope.accounts.1.id: duplicate account 111122223333');
  });

  it('refuses unknown keys (a typo is not silently ignored)', () => {
    expect(errorOf(minimal({ stopAfer: '4h' }))).toContain('Unrecognized key: "stopAfer"');
    expect(errorOf(minimal({ scope: { regions: ['eu-west-1'], include: { prefix: 'x' } } }))).toContain(
      'scope.include',
    );
  });

  it('checks the enum, the topic ARN, tag filters and the opt-out tag key', () => {
    expect(errorOf(minimal({ withoutConnectionSignal: 'stop' }))).toContain('withoutConnectionSignal:');
    expect(errorOf(minimal({ notify: { topicArn: 'cleanup' } }))).toContain(
      'notify.topicArn: must be an SNS topic ARN',
    );
    expect(errorOf(minimal({ optOutTag: 'aws:keep' }))).toContain('optOutTag: must be a tag key');
    expect(
      errorOf(minimal({ scope: { regions: ['eu-west-1'], include: { tags: { team: 'a,b' } } } })),
    ).toContain('scope.include.tags.team: must be a tag value or * (any value)');
  });

  it('names the line of a YAML syntax error and the file it loads', () => {
    expect(() => parseCleanupPolicy('warnAfter: [2h', 'p.yaml')).toThrow(/^p\.yaml: /);
    expect(() => loadCleanupPolicy('/nonexistent/cleanup.yaml')).toThrow(
      /\/nonexistent\/cleanup\.yaml: ENOENT/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'cleanup-'));
    const path = join(dir, 'bad.yaml');
    writeFileSync(
      path,
      readFileSync('examples/cleanup.yaml', 'utf8').replace('stopAfter: 4h', 'stopAfter: 1h'),
    );
    expect(() => loadCleanupPolicy(path)).toThrow(`${path}: stopAfter: must be longer than warnAfter (2h)`);
  });
});

describe('Cleanup policy: scope (outOfScope)', () => {
  const scope = validateCleanupPolicy(
    minimal({
      scope: {
        regions: ['eu-west-1'],
        include: { namePrefix: ['dev-', 'test-'], tags: { team: '*' } },
        exclude: { namePrefix: 'dev-golden', tags: { environment: 'production' } },
      },
    }),
  ).scope;

  it('takes a builder with an included prefix and every included tag', () => {
    expect(outOfScope('dev-1', { team: 'euc' }, scope)).toBeUndefined();
    expect(outOfScope('test-1', { team: '' }, scope)).toBeUndefined();
  });

  it('leaves out other prefixes and builders missing an included tag', () => {
    expect(outOfScope('prod-1', { team: 'euc' }, scope)).toMatch(/include\.namePrefix/);
    expect(outOfScope('dev-1', {}, scope)).toMatch(/tag team=\* required/);
  });

  it('leaves out an excluded prefix or any excluded tag', () => {
    expect(outOfScope('dev-golden-1', { team: 'euc' }, scope)).toMatch(/exclude\.namePrefix dev-golden/);
    expect(outOfScope('dev-1', { team: 'euc', environment: 'production' }, scope)).toMatch(
      /environment=production excluded/,
    );
    expect(outOfScope('dev-1', { team: 'euc', environment: 'test' }, scope)).toBeUndefined();
  });

  it('takes every builder with the default include and exclude', () => {
    expect(outOfScope('anything', {}, validateCleanupPolicy(minimal()).scope)).toBeUndefined();
  });
});
