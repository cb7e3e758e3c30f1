import { describe, expect, it } from 'vitest';
import { accessKeyFor, accountOf, callerFrom } from '../../../emulator/auth';
import { APPSTREAM_REGIONS, isKnownRegion } from '../../../emulator/regions';

const header = (key: string, region = 'us-east-1', service = 'appstream') =>
  `AWS4-HMAC-SHA256 Credential=${key}/20261126/${region}/${service}/aws4_request, SignedHeaders=host, Signature=abc123`;

describe('Caller from the SigV4 Authorization header', () => {
  it('reads account, region, access key and the credential scope’s service', () => {
    expect(callerFrom(header('210987654321', 'eu-west-1', 'ec2'))).toEqual({
      account: '210987654321',
      region: 'eu-west-1',
      accessKeyId: '210987654321',
      service: 'ec2',
    });
  });

  it('maps access keys to accounts: 12 digits, AKIA/ASIA + 12 digits + 4, else the default', () => {
    expect(accountOf('111122223333')).toBe('111122223333');
    expect(accountOf('ASIA111122223333WXYZ')).toBe('111122223333');
    expect(accountOf('AKIA1111222233330000')).toBe('111122223333');
    for (const other of ['AKIAIOSFODNN7EXAMPLE', 'ASIA111122223333wxyz', 'ASIA111122223333WXYZ1', 'abc'])
      expect(accountOf(other)).toBe('123456789012');
  });

  it('issues keys that map back to their account', () => {
    const key = accessKeyFor('111122223333', true, 'K001');
    expect(key).toBe('ASIA111122223333K001');
    expect(key).toHaveLength(20);
    expect(accountOf(key)).toBe('111122223333');
    expect(accountOf(accessKeyFor('111122223333', false))).toBe('111122223333');
    expect(() => accessKeyFor('1234', true)).toThrow();
    expect(() => accessKeyFor('111122223333', true, 'lower')).toThrow();
  });

  it('refuses a credential scoped to a region the service does not run in', () => {
    expect(() => callerFrom(header('111122223333', 'us-gov-west-1'))).toThrow(
      expect.objectContaining({
        code: 'InvalidSignatureException',
        status: 403,
        message: 'Credential should be scoped to a valid region. ',
      }),
    );
    expect(callerFrom(header('111122223333', 'us-gov-west-1'), { regions: ['us-gov-west-1'] }).region).toBe(
      'us-gov-west-1',
    );
  });

  it('lists the regions in one place', () => {
    expect(APPSTREAM_REGIONS).toContain('us-east-1');
    expect(isKnownRegion('constructor')).toBe(false);
    expect(isKnownRegion('eu-west-1', { regions: ['us-east-1'] })).toBe(false);
  });
});
