import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { verifyEnvelope } from '../../lib/agent/signer';

/**
 * agent/testdata/envelope-cases.json: job documents both agents must run or refuse (with the
 * reason code), shared by the bash agent's test and the Windows agent's Pester test. Here the data
 * is checked against the pipeline's own verifier (lib/agent/signer.ts), so the three agree.
 */
interface EnvelopeCase {
  name: string;
  jobId: string;
  document: string;
  expect: string;
}
const data = JSON.parse(
  readFileSync(new URL('../../agent/testdata/envelope-cases.json', import.meta.url), 'utf8'),
) as {
  builderName: string;
  publicKeyPem: string;
  cases: EnvelopeCase[];
};
const verify = (c: EnvelopeCase) =>
  verifyEnvelope(c.document, data.publicKeyPem, { builderName: data.builderName, now: Date.now() });

describe('shared job envelope cases', () => {
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

  it.each(data.cases.filter((c) => c.jobId !== 'case-renamed').map((c) => [c.name, c] as const))(
    '%s: the pipeline verifier agrees',
    (_, c) => {
      expect(verify(c).ok).toBe(c.expect === 'ok');
    },
  );

  it('a validly signed job stored under another job id verifies, so the agents bind the signed jobId to the name', () => {
    const renamed = data.cases.find((c) => c.jobId === 'case-renamed')!;
    expect(verify(renamed).ok).toBe(true);
    expect(renamed.expect).toBe('malformed');
  });
});
