import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Language, type Node, Parser } from 'web-tree-sitter';

// No PowerShell runtime installs here (Debian has no package, npm no runtime), so the Windows
// agent can't run in CI. Parsing it with the PowerShell tree-sitter grammar (WebAssembly, no
// native build) at least keeps syntax errors out of what admins bake into their images.
const require = createRequire(import.meta.url);
const dir = join(import.meta.dirname, '../../agent/windows');
const scripts = (d: string): string[] =>
  readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? scripts(join(d, e.name)) : e.name.endsWith('.ps1') ? [join(d, e.name)] : [],
  );

let parser: Parser;
beforeAll(async () => {
  await Parser.init();
  parser = new Parser();
  parser.setLanguage(
    await Language.load(require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm')),
  );
});

function syntaxErrors(source: string): string[] {
  const tree = parser.parse(source);
  const errors: string[] = [];
  const walk = (n: Node) => {
    if (n.type === 'ERROR' || n.isMissing)
      errors.push(
        `line ${n.startPosition.row + 1}:${n.startPosition.column + 1} ${n.isMissing ? `missing ${n.type}` : 'unexpected'}: ${n.text.slice(0, 60)}`,
      );
    for (const c of n.children) if (c) walk(c);
  };
  if (tree) walk(tree.rootNode);
  return errors;
}

describe('Windows agent: PowerShell syntax', () => {
  it('finds a syntax error when there is one (the check can fail)', () => {
    expect(syntaxErrors('function f { if ($x -eq 1 { "a" } }')).not.toEqual([]);
  });

  it.each(scripts(dir).map((f) => [f.slice(dir.length + 1), f]))(
    '%s parses without errors',
    (_name, file) => {
      expect(syntaxErrors(readFileSync(file, 'utf8'))).toEqual([]);
    },
  );
});
