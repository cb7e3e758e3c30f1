import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PipelineConfigSchema } from '../../lib/config/pipeline';
import { deploymentName, isTagValue, keepActive, MAX_TAG_VALUE, TAG, tagValue } from '../../lib/tags';
import { samplePipeline } from '../helpers/pipeline';

// AppStream tag values: letters, numbers and spaces representable in UTF-8 and _ . : / = + - @,
// up to 256 characters; up to 50 tags (https://docs.aws.amazon.com/appstream2/latest/APIReference/API_TagResource.html).

/** The module itself, and this test that pins its keys to DESIGN.md. */
const KEYS_MAY_BE_SPELLED = [join('lib', 'tags.ts'), join('test', 'unit', 'tags.test.ts')];

describe('Tag contract: keys', () => {
  it('keeps every key under the autopilot: prefix, unique, within 128 characters', () => {
    const keys = Object.values(TAG);
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) {
      expect(key).toMatch(/^autopilot:[a-z-]+$/);
      expect(key.length).toBeLessThanOrEqual(128);
      expect(isTagValue(key), key).toBe(true);
    }
  });

  it('names the keys of the contract in DESIGN.md', () => {
    expect(TAG).toEqual({
      managed: 'autopilot:managed',
      deployment: 'autopilot:deployment',
      pipeline: 'autopilot:pipeline',
      execution: 'autopilot:execution',
      schedule: 'autopilot:schedule',
      override: 'autopilot:override',
      lastAction: 'autopilot:last-action',
      keep: 'autopilot:keep',
      cleanup: 'autopilot:cleanup',
      lastConnection: 'autopilot:last-connection',
      creator: 'autopilot:creator',
    });
  });
});

describe('Tag contract: one module', () => {
  it('is the only place the keys are spelled out (lib, functions, bin, bench, emulator, test import TAG)', () => {
    const spelled = /['"`]autopilot:[a-z-]+['"`]/;
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (/\.(ts|mts|mjs|js)$/.test(entry.name) && !KEYS_MAY_BE_SPELLED.includes(path)) {
          const lines = readFileSync(path, 'utf8').split('\n');
          lines.forEach((line, i) => {
            if (spelled.test(line)) offenders.push(`${path}:${i + 1}: ${line.trim()}`);
          });
        }
      }
    };
    for (const dir of ['lib', 'functions', 'bin', 'bench', 'emulator', 'test']) walk(dir);
    expect(offenders).toEqual([]);
  });
});

describe('Tag contract: tagValue', () => {
  it('sanitises a reason such as "New Year\'s Day" (the apostrophe is not allowed)', () => {
    expect(isTagValue("New Year's Day")).toBe(false);
    expect(tagValue("New Year's Day")).toBe('New Year s Day');
    expect(isTagValue(tagValue("New Year's Day"))).toBe(true);
  });

  it('keeps the characters AWS allows as they are', () => {
    const value = 'stop@2026-11-27T14:00Z run_1/a.b=c+d';
    expect(tagValue(value)).toBe(value);
    expect(isTagValue(value)).toBe(true);
  });

  it('keeps Unicode letters and digits (Übersetzung, 東京, ٣)', () => {
    expect(tagValue('Übersetzung 東京 ٣')).toBe('Übersetzung 東京 ٣');
    expect(isTagValue('Übersetzung 東京 ٣')).toBe(true);
  });

  it('replaces other characters by one space and trims', () => {
    expect(tagValue('  a!!b (c) "d"; e\n')).toBe('a b c d e');
    expect(tagValue('€100 & more*')).toBe('100 more');
  });

  it('cuts to 256 characters', () => {
    const long = 'x'.repeat(300);
    expect(isTagValue(long)).toBe(false);
    expect(tagValue(long)).toHaveLength(MAX_TAG_VALUE);
    expect(MAX_TAG_VALUE).toBe(256);
    expect(isTagValue('y'.repeat(256))).toBe(true);
    expect(isTagValue(tagValue(`${"it's ".repeat(80)}`))).toBe(true);
  });

  it('counts and cuts by Unicode characters, never splitting an astral letter (𠀀 is 2 UTF-16 units)', () => {
    // AWS counts tag value length in Unicode characters ("0 to 256 Unicode characters in UTF-8").
    const value = tagValue(`${'a'.repeat(255)}𠀀𠀀`);
    expect([...value]).toHaveLength(MAX_TAG_VALUE);
    expect(value.endsWith('a𠀀')).toBe(true);
    expect(value).not.toMatch(/[\uD800-\uDBFF]$/); // no lone high surrogate
    expect(isTagValue(value)).toBe(true);
    expect(isTagValue('𠀀'.repeat(256))).toBe(true); // 512 UTF-16 units, 256 characters
    expect(isTagValue('𠀀'.repeat(257))).toBe(false);
  });

  it('accepts the empty value (AWS allows an empty tag value)', () => {
    expect(isTagValue('')).toBe(true);
    expect(tagValue('')).toBe('');
  });
});

describe('Tag contract: tags in a pipeline definition', () => {
  const issues = (tags: Record<string, string>) => {
    const r = PipelineConfigSchema.safeParse(
      samplePipeline({
        builder: { instanceType: 'stream.standard.medium', image: 'latest:WINDOWS_SERVER_2022', tags },
      }),
    );
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('accepts tags AppStream accepts, including contract keys a person may set (autopilot:keep)', () => {
    expect(issues({ team: 'euc', 'cost center': 'Zürich 4711', [TAG.keep]: 'true' })).toEqual([]);
  });

  it('refuses, before anything launches, keys and values AppStream would refuse', () => {
    expect(issues({ "it's": 'x' })).toEqual([
      "builder.tags.it's: tag keys: letters, digits, spaces and _ . : / = + - @, not starting with aws:",
    ]);
    expect(issues({ 'aws:owner': 'x' })).toEqual([
      'builder.tags.aws:owner: tag keys: letters, digits, spaces and _ . : / = + - @, not starting with aws:',
    ]);
    expect(issues({ holiday: "New Year's Day" })).toEqual([
      'builder.tags.holiday: tag values: letters, digits, spaces and _ . : / = + - @',
    ]);
    expect(issues({ long: 'v'.repeat(257) })[0]).toMatch(/^builder\.tags\.long: /);
  });

  it('leaves the keys the pipeline sets to the pipeline', () => {
    expect(issues({ [TAG.pipeline]: 'someone-else' })).toEqual([
      `builder.tags.${TAG.pipeline}: ${TAG.managed}, ${TAG.deployment}, ${TAG.pipeline}, ${TAG.execution} are set by the pipeline (tag contract)`,
    ]);
  });

  it('keeps room for the pipeline’s 4 tags under AppStream’s 50', () => {
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
    expect(issues(many(46))).toEqual([]);
    expect(issues(many(47))).toEqual([
      'builder.tags: at most 46 tags (AppStream allows 50; the pipeline adds 4)',
    ]);
  });
});

describe('keepActive: TAG.keep forbids deleting a builder', () => {
  const now = Date.parse('2026-11-26T12:00:00Z');
  it.each([
    ['true', true],
    ['stop-only', true],
    ['2026-11-27', true],
    ['2026-11-27T14:00:00Z', true],
    ['2026-11-25', false],
    ['no-notify', false],
    ['false', false],
    [undefined, false],
  ])('%s → %s', (value, active) => {
    expect(keepActive(value, now)).toBe(active);
  });
  it('deploymentName: AUTOPILOT_DEPLOYMENT, else local', () => {
    expect(deploymentName({ AUTOPILOT_DEPLOYMENT: 'appstream-autopilot-prod' })).toBe(
      'appstream-autopilot-prod',
    );
    expect(deploymentName({})).toBe('local');
  });
});
