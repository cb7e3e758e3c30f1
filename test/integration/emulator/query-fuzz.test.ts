import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { ec2Service } from '../../../emulator/ec2';
import { loadQueryModel } from '../../../emulator/query/model';
import { QueryParser } from '../../../emulator/query/parse';
import { stsService } from '../../../emulator/sts';
import { useEmulator } from '../../helpers/emulator';
import { startProber, stateDump } from '../../helpers/hostile';
import { rawQuery } from '../../helpers/query';

// Sizes stay moderate (the megabyte bodies are ec2-vpcs.test.ts's and the bench's): the emulator
// runs in this process, so generating and collecting huge strings here would delay the probes.
// The clock stands still (real time is a constant), so state dumps before and after a call compare exactly.
const f = useEmulator({ realTime: () => 0 });

const SERVICES = [
  {
    service: 'ec2',
    version: '2016-11-15',
    model: loadQueryModel('ec2.subset'),
    handlers: ec2Service().handlers,
  },
  { service: 'sts', version: '2011-06-15', model: loadQueryModel('sts'), handlers: stsService().handlers },
];

/** The operation's top-level wire names (what the SDKs send), to build hostile names on. */
function wireNames(model: ReturnType<typeof loadQueryModel>, op: string): string[] {
  const parser = new QueryParser(model);
  const shape = model.shapes[model.operations[op].input?.shape ?? ''];
  return Object.entries(shape?.members ?? {}).map(([n, m]) => parser.wireName(n, m));
}

const hostileValue = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.constantFrom(
    '',
    '-1',
    '0',
    '1e309',
    'NaN',
    'true',
    'TRUE',
    'null',
    '__proto__',
    '*',
    '?*?*?*',
    '10.0.0.0/16',
  ),
  fc.integer({ min: 1000, max: 50_000 }).map((n) => 'x'.repeat(n)),
  fc.constantFrom('vpc-00000000000000001', 'subnet-0', 'sg-1', '\u0000\uFFFF\uD800', '<x>&amp;'),
);

function hostileName(names: string[]): fc.Arbitrary<string> {
  const base = names.length ? fc.constantFrom(...names) : fc.constant('X');
  return fc.oneof(
    base,
    fc
      .tuple(
        base,
        fc.constantFrom(
          '.1',
          '.0',
          '.abc',
          '.01',
          '.1001',
          '.1.Name',
          '.1.Value.1',
          '.member.1',
          '.1.Key',
          '.',
        ),
      )
      .map(([a, b]) => a + b),
    fc.tuple(base, fc.integer({ min: 1, max: 20_000 })).map(([a, n]) => `${a}${'.1'.repeat(n)}`),
    fc.tuple(base, fc.integer({ min: 1, max: 5000 })).map(([a, n]) => `${a}.${'x.'.repeat(n)}y`),
    fc.constantFrom(
      '__proto__',
      'constructor',
      'constructor.prototype.polluted',
      'toString',
      'hasOwnProperty',
      'Filter.__proto__.Name',
      '__proto__.polluted',
      'Action',
      'Version',
    ),
    fc.string({ unit: 'grapheme', maxLength: 30 }),
    fc.integer({ min: 10_000, max: 60_000 }).map((n) => 'N'.repeat(n)),
  );
}

function hostileForm(names: string[]): fc.Arbitrary<[string, string][]> {
  const param = fc.tuple(hostileName(names), hostileValue);
  return fc.oneof(
    fc.array(param, { maxLength: 12 }),
    // Duplicates and gaps of one name.
    fc
      .tuple(hostileName(names), fc.array(hostileValue, { minLength: 2, maxLength: 4 }))
      .map(([n, vs]) => vs.map((v) => [n, v] as [string, string])),
    fc
      .tuple(
        fc.constantFrom(...(names.length ? names : ['X'])),
        fc.uniqueArray(fc.integer({ min: 1, max: 999 }), { maxLength: 5 }),
      )
      .map(([n, idx]) => idx.map((i) => [`${n}.${i}`, 'v'] as [string, string])),
  );
}

const XML_ERROR =
  /^(<\?xml[^>]*>\n<Response><Errors><Error><Code>[\w.]+<\/Code><Message>[^<]*<\/Message><\/Error><\/Errors><RequestID>[\w-]+<\/RequestID><\/Response>|<ErrorResponse xmlns="[^"]+"><Error><Type>Sender<\/Type><Code>[\w.]+<\/Code><Message>[^<]*<\/Message><\/Error><RequestId>[\w-]+<\/RequestId><\/ErrorResponse>)$/;

beforeEach(async () => {
  // The default account's network exists before the first fuzzed call (a call creates it lazily).
  await rawQuery(f.emu.endpoint, { Action: 'DescribeVpcs', Version: '2016-11-15' });
});

describe('Emulator: fuzzing EC2 and STS with hostile forms', () => {
  it('answers every implemented operation with AWS-shaped 4xx XML (or 200), changes nothing on error, keeps health probes under 100 ms', {
    timeout: 300_000,
  }, async () => {
    const prober = startProber(f.emu.endpoint);
    const seen = new Map<string, number>();
    try {
      for (const { service, version, model, handlers } of SERVICES)
        for (const op of Object.keys(handlers)) {
          const names = wireNames(model, op);
          await fc.assert(
            fc.asyncProperty(hostileForm(names), async (params) => {
              const body = [
                `Action=${op}`,
                `Version=${version}`,
                ...params.map((p) => new URLSearchParams([p]).toString()),
              ].join('&');
              const before = stateDump(f.emu);
              const res = await rawQuery(f.emu.endpoint, body, { service });
              const shown = `${service} ${op} ${body.slice(0, 300)} → ${res.status} ${res.text.slice(0, 300)}`;
              expect(res.status, shown).toBeLessThan(500);
              const code = res.status === 200 ? 'OK' : (/<Code>([^<]*)<\/Code>/.exec(res.text)?.[1] ?? '?');
              seen.set(code, (seen.get(code) ?? 0) + 1);
              if (res.status === 200) return;
              expect(res.status, shown).toBeGreaterThanOrEqual(400);
              expect(res.text, shown).toMatch(XML_ERROR);
              expect(stateDump(f.emu), shown).toBe(before);
              expect(({} as Record<string, unknown>).polluted).toBeUndefined();
            }),
            { numRuns: 15, seed: 11 },
          );
        }
    } catch (err) {
      await prober.stop();
      throw err;
    }
    const { probes, slowestMs } = await prober.stop();
    expect(probes).toBeGreaterThan(10);
    expect(slowestMs).toBeLessThan(100);
    // Refused for what they are, not all for one reason.
    for (const c of ['UnknownParameter', 'InvalidParameterValue', 'MissingParameter'])
      expect(seen.get(c) ?? 0, c).toBeGreaterThan(5);
  });
});
