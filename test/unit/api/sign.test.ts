import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signGithub, signHmac, verifyGithub, verifyHmac } from '../../../lib/api/sign';

const SECRET = 's3cret';
const NOW_MS = 1_795_000_000_000;
const TS = NOW_MS / 1000;
const PATH = '/hooks/pipelines/a/runs';
const req = (body: string | Buffer, over: { method?: string; path?: string } = {}) => ({
  method: over.method ?? 'POST',
  path: over.path ?? PATH,
  body,
});
const fieldsOf = (h: Record<string, string>) => ({
  timestamp: h['X-Autopilot-Timestamp'],
  signature: h['X-Autopilot-Signature'],
});

describe('Webhook signatures (lib/api/sign.ts)', () => {
  it('signs HMAC-SHA256 over "<timestamp>.<METHOD>.<path>.<raw body>" as sha256=<hex>', () => {
    const headers = signHmac(SECRET, { method: 'post', path: PATH, body: '{"a":1}', timestamp: TS });
    const expected = createHmac('sha256', SECRET).update(`${TS}.POST.${PATH}.{"a":1}`).digest('hex');
    expect(headers).toEqual({
      'X-Autopilot-Timestamp': String(TS),
      'X-Autopilot-Signature': `sha256=${expected}`,
    });
  });

  it('verifies its own signature, for strings and bytes alike', () => {
    const body = Buffer.from('{"é":1}', 'utf8');
    const h = signHmac(SECRET, { ...req(body), timestamp: TS });
    expect(verifyHmac(SECRET, req(body), fieldsOf(h), NOW_MS)).toEqual({ ok: true });
    expect(verifyHmac(SECRET, req('{"é":1}'), fieldsOf(h), NOW_MS)).toEqual({ ok: true });
  });

  it('refuses a signature made for /hooks/pipelines/a/runs on /hooks/pipelines/b/runs, or for another method', () => {
    const h = fieldsOf(signHmac(SECRET, { ...req('{}'), timestamp: TS }));
    expect(verifyHmac(SECRET, req('{}', { path: '/hooks/pipelines/b/runs' }), h, NOW_MS)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(verifyHmac(SECRET, req('{}', { method: 'PUT' }), h, NOW_MS)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('accepts upper-case hex and refuses a signature of another length without throwing', () => {
    const h = signHmac(SECRET, { ...req('x'), timestamp: TS });
    const upper = `sha256=${h['X-Autopilot-Signature'].slice(7).toUpperCase()}`;
    expect(verifyHmac(SECRET, req('x'), { timestamp: String(TS), signature: upper }, NOW_MS)).toEqual({
      ok: true,
    });
    expect(verifyHmac(SECRET, req('x'), { timestamp: String(TS), signature: 'sha256=ab' }, NOW_MS)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('tells a bad signature from a stale one: the window is checked only on a valid signature', () => {
    const stale = fieldsOf(signHmac(SECRET, { ...req('x'), timestamp: TS - 301 }));
    expect(verifyHmac(SECRET, req('x'), stale, NOW_MS)).toEqual({ ok: false, reason: 'outside-window' });
    expect(verifyHmac('other', req('x'), stale, NOW_MS)).toEqual({ ok: false, reason: 'bad-signature' });
    const edge = fieldsOf(signHmac(SECRET, { ...req('x'), timestamp: TS - 300 }));
    expect(verifyHmac(SECRET, req('x'), edge, NOW_MS)).toEqual({ ok: true });
  });

  it("verifies GitHub's X-Hub-Signature-256 over the raw body", () => {
    const { 'X-Hub-Signature-256': sig } = signGithub(SECRET, '{"zen":"x"}');
    expect(sig).toBe(`sha256=${createHmac('sha256', SECRET).update('{"zen":"x"}').digest('hex')}`);
    expect(verifyGithub(SECRET, '{"zen":"x"}', sig)).toEqual({ ok: true });
    expect(verifyGithub(SECRET, '{"zen":"y"}', sig)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyGithub(SECRET, '{}', undefined)).toEqual({ ok: false, reason: 'unsigned' });
  });
});
