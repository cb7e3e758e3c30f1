import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signGithub, signHmac, verifyGithub, verifyHmac } from '../../../lib/api/sign';

const SECRET = 's3cret';
const NOW_MS = 1_795_000_000_000;
const TS = NOW_MS / 1000;

describe('Webhook signatures (lib/api/sign.ts)', () => {
  it('signs HMAC-SHA256 over "<timestamp>.<raw body>" as sha256=<hex>', () => {
    const headers = signHmac(SECRET, '{"a":1}', TS);
    const expected = createHmac('sha256', SECRET).update(`${TS}.{"a":1}`).digest('hex');
    expect(headers).toEqual({
      'X-Autopilot-Timestamp': String(TS),
      'X-Autopilot-Signature': `sha256=${expected}`,
    });
  });

  it('verifies its own signature, for strings and bytes alike', () => {
    const body = Buffer.from('{"é":1}', 'utf8');
    const h = signHmac(SECRET, body, TS);
    const check = (b: string | Buffer) =>
      verifyHmac(
        SECRET,
        b,
        { timestamp: h['X-Autopilot-Timestamp'], signature: h['X-Autopilot-Signature'] },
        NOW_MS,
      );
    expect(check(body)).toEqual({ ok: true });
    expect(check('{"é":1}')).toEqual({ ok: true });
  });

  it('accepts upper-case hex and refuses a signature of another length without throwing', () => {
    const h = signHmac(SECRET, 'x', TS);
    const upper = `sha256=${h['X-Autopilot-Signature'].slice(7).toUpperCase()}`;
    expect(verifyHmac(SECRET, 'x', { timestamp: String(TS), signature: upper }, NOW_MS)).toEqual({
      ok: true,
    });
    expect(verifyHmac(SECRET, 'x', { timestamp: String(TS), signature: 'sha256=ab' }, NOW_MS)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('tells a bad signature from a stale one: the window is checked only on a valid signature', () => {
    const stale = signHmac(SECRET, 'x', TS - 301);
    const fields = { timestamp: stale['X-Autopilot-Timestamp'], signature: stale['X-Autopilot-Signature'] };
    expect(verifyHmac(SECRET, 'x', fields, NOW_MS)).toEqual({ ok: false, reason: 'outside-window' });
    expect(verifyHmac('other', 'x', fields, NOW_MS)).toEqual({ ok: false, reason: 'bad-signature' });
    const edge = signHmac(SECRET, 'x', TS - 300);
    expect(
      verifyHmac(
        SECRET,
        'x',
        { timestamp: edge['X-Autopilot-Timestamp'], signature: edge['X-Autopilot-Signature'] },
        NOW_MS,
      ),
    ).toEqual({ ok: true });
  });

  it("verifies GitHub's X-Hub-Signature-256 over the raw body", () => {
    const { 'X-Hub-Signature-256': sig } = signGithub(SECRET, '{"zen":"x"}');
    expect(sig).toBe(`sha256=${createHmac('sha256', SECRET).update('{"zen":"x"}').digest('hex')}`);
    expect(verifyGithub(SECRET, '{"zen":"x"}', sig)).toEqual({ ok: true });
    expect(verifyGithub(SECRET, '{"zen":"y"}', sig)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyGithub(SECRET, '{}', undefined)).toEqual({ ok: false, reason: 'unsigned' });
  });
});
