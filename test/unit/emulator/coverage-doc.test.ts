import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('IMPLEMENTATION_COVERAGE.md', () => {
  it('is current with the model and the implemented handlers (run npm run coverage:doc)', () => {
    const generated = execFileSync('npx', ['tsx', 'scripts/gen-coverage.ts', '--print'], {
      encoding: 'utf8',
    });
    expect(readFileSync('IMPLEMENTATION_COVERAGE.md', 'utf8')).toBe(generated);
    expect(generated.match(/^\| \w+ \| (stateful|not implemented) \|$/gm)?.length).toBe(
      89 + 14 + 9 + 38 + 11,
    );
  });
});
