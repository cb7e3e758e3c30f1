import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * agent/testdata/envelope-cases.json: job documents both agents must run or refuse (with the
 * reason code), shared by the bash agent's test and the Windows agent's Pester test
 * (test/unit/agent/signer.test.ts checks the pipeline's verifier against them too). Here each case
 * is checked to be what its name says, with node:crypto, independently of both agents.
 */
interface EnvelopeCase {
  name: string;
  jobId: string;
  document: string;
  expect: string;
}
const data = JSON.parse(
  readFileSync(new URL('../../agent/testdata/envelope-cases.json', import.meta.url), 'utf8'),
) as { builderName: string; publicKeyPem: string; cases: EnvelopeCase[] };

/** The signed payload when the document is a v2 envelope whose signature verifies, else undefined. */
function signedPayload(c: EnvelopeCase): Record<string, unknown> | undefined {
  let doc: Record<string, string | number>;
  try {
    doc = JSON.parse(c.document.replace(/^\uFEFF/, ''));
  } catch {
    return undefined;
  }
  if (
    doc.schemaVersion !== 2 ||
    !doc.payload ||
    !doc.signature ||
    doc.algorithm !== 'RSASSA_PKCS1_V1_5_SHA_256'
  )
    return undefined;
  const payload = Buffer.from(String(doc.payload), 'base64');
  const key = createPublicKey(data.publicKeyPem);
  if (!verify('sha256', payload, key, Buffer.from(String(doc.signature), 'base64'))) return undefined;
  return JSON.parse(payload.toString('utf8'));
}

describe('shared job envelope cases (agent/testdata/envelope-cases.json)', () => {
  it('cover every refusal reason of agent/PROTOCOL.md', () => {
    expect(new Set(data.cases.map((c) => c.expect))).toEqual(
      new Set([
        'ok',
        'unsigned',
        'bad-signature',
        'foreign-builder',
        'expired',
        'malformed',
        'unknown-schema',
      ]),
    );
  });

  it.each(data.cases.map((c) => [c.name, c] as const))('%s: is what its expectation says', (_, c) => {
    const payload = signedPayload(c);
    const now = Date.now();
    switch (c.expect) {
      case 'ok':
        expect(payload).toMatchObject({ schemaVersion: 2, jobId: c.jobId, builderName: data.builderName });
        expect(Date.parse(String(payload!.expiresAt))).toBeGreaterThan(now);
        break;
      case 'foreign-builder':
        expect(payload!.builderName).not.toBe(data.builderName);
        break;
      case 'expired':
        expect(Date.parse(String(payload!.expiresAt))).toBeLessThan(now);
        break;
      case 'malformed':
        // Not JSON at all, or validly signed under another job id (a replay under a new name).
        if (payload) expect(payload.jobId).not.toBe(c.jobId);
        else expect(() => JSON.parse(c.document)).toThrow();
        break;
      default: // unsigned, bad-signature, unknown-schema: nothing verifiable to run
        expect(payload).toBeUndefined();
    }
  });
});
