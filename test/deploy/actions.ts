/**
 * The IAM actions each deployed function's code calls, derived from the code (issue 10, "each
 * function's role holds exactly the actions its code calls"): test/deploy/iam.test.ts holds every
 * role of the packaged template to these lists.
 *
 * How, per function of functions/index.ts `allFunctions`:
 * 1. esbuild bundles its handler as serverless-esbuild does (metafile): the repository source files
 *    that end up in the bundle (bytesInOutput > 0) are the only code it can run.
 * 2. Within those files, a call graph built with the TypeScript checker, from the handler module:
 *    every function, method, variable or property a reached body names (a call, a `new`, or a
 *    function passed as a value) is reached too. A member of one of our interfaces (e.g.
 *    `deps.channel.submit`, `deps.notifier.publish`) reaches every class member implementing it and
 *    every object-literal property typed as it: so a function reaches the S3 channel's or SNS
 *    notifier's commands only when its own code calls that port, not because the deps factory
 *    (lib/lambda/aws-deps.ts) builds every adapter for every pipeline function.
 * 3. The AWS SDK v3 commands the reached code constructs (`new XCommand(`) or paginates
 *    (`paginateX(` → X), from @aws-sdk/client-* imports, mapped to IAM actions: the client package's
 *    service prefix + the operation, except where the Service Authorization Reference names the
 *    action otherwise (S3 ListObjectsV2 → s3:ListBucket, HeadObject → s3:GetObject, …).
 *
 * Bundle-level file lists over-approximate (every pipeline function bundles every adapter its deps
 * factory builds); the call graph narrows them to what the function's own code path reaches, and is
 * checked to stay within the bundle.
 */
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The IAM service prefix of each AWS SDK v3 client package (Service Authorization Reference). */
export const SERVICE_PREFIX: Record<string, string> = {
  '@aws-sdk/client-appstream': 'appstream',
  '@aws-sdk/client-application-auto-scaling': 'application-autoscaling',
  '@aws-sdk/client-ec2': 'ec2',
  '@aws-sdk/client-kms': 'kms',
  '@aws-sdk/client-resource-groups-tagging-api': 'tag',
  '@aws-sdk/client-s3': 's3',
  '@aws-sdk/client-secrets-manager': 'secretsmanager',
  '@aws-sdk/client-sfn': 'states',
  '@aws-sdk/client-sns': 'sns',
  '@aws-sdk/client-sts': 'sts',
  '@aws-sdk/client-cloudwatch': 'cloudwatch',
  '@aws-sdk/client-cloudwatch-logs': 'logs',
};

/**
 * Operations whose IAM action is not `<prefix>:<operation>` (Service Authorization Reference,
 * Amazon S3: "ListObjectsV2 … s3:ListBucket", HeadObject/HeadBucket use the Get/List permission).
 */
export const ACTION_EXCEPTIONS: Record<string, string> = {
  's3:ListObjectsV2': 's3:ListBucket',
  's3:ListObjects': 's3:ListBucket',
  's3:HeadObject': 's3:GetObject',
  's3:HeadBucket': 's3:ListBucket',
  's3:ListObjectVersions': 's3:ListBucketVersions',
  's3:DeleteObjects': 's3:DeleteObject',
};

export interface FunctionActions {
  /** The handler, e.g. functions/check-builder.ts. */
  handler: string;
  /** IAM actions the function's reachable code calls, sorted. */
  actions: string[];
  /** Where each action is called (repository-relative files). */
  callers: Record<string, string[]>;
  /** IAM actions of every command constructed anywhere in the bundle's source files (an upper bound). */
  bundleActions: string[];
}

interface Command {
  pkg: string;
  operation: string;
  file: string;
}

export function iamAction(pkg: string, operation: string): string {
  const prefix = SERVICE_PREFIX[pkg];
  if (!prefix) throw new Error(`no IAM service prefix known for ${pkg} (add it to SERVICE_PREFIX)`);
  const action = `${prefix}:${operation}`;
  return ACTION_EXCEPTIONS[action] ?? action;
}

/** Source files (repository-relative) esbuild puts into the handler's bundle, as serverless-esbuild does. */
export async function bundledFiles(handler: string): Promise<Set<string>> {
  const result = await build({
    entryPoints: [join(ROOT, handler)],
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    outfile: join(ROOT, '.actions-bundle.mjs'),
    logLevel: 'silent',
  });
  const files = new Set<string>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      if (bytesInOutput > 0 && !input.includes('node_modules')) files.add(input);
    }
  }
  return files;
}

/** The TypeScript program of the repository's sources (tsconfig.json). */
function program(): ts.Program {
  const configPath = join(ROOT, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  return ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
}

const isRepoSource = (sf: ts.SourceFile) => !sf.isDeclarationFile && !sf.fileName.includes('node_modules');

/** The AWS SDK package an identifier was imported from, when it is one. */
function sdkImport(checker: ts.TypeChecker, id: ts.Identifier): string | undefined {
  const sym = checker.getSymbolAtLocation(id);
  const decl = sym?.declarations?.[0];
  if (!decl || !(ts.isImportSpecifier(decl) || ts.isNamespaceImport(decl))) return undefined;
  let node: ts.Node = decl;
  while (node && !ts.isImportDeclaration(node)) node = node.parent;
  const spec = (node as ts.ImportDeclaration | undefined)?.moduleSpecifier;
  if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith('@aws-sdk/client-')) return undefined;
  return spec.text;
}

/**
 * A deps factory (a function declared to return a `…Deps` type: awsDeps, cleanupAwsDeps,
 * scheduleAwsDeps, apiAwsDeps) builds every port of its workflow for every function: its body is
 * not walked. What it builds is reached through the deps type's members instead (`deps.channel`
 * reaches the `channel:` property it assigns and, through BuilderChannel's members, S3Channel's
 * methods), so each function gets the commands of the ports it uses only.
 */
function isCompositionRoot(node: ts.Node): boolean {
  return (
    (ts.isFunctionDeclaration(node) || ts.isArrowFunction(node) || ts.isFunctionExpression(node)) &&
    !!node.type &&
    ts.isTypeReferenceNode(node.type) &&
    /Deps$/.test(node.type.typeName.getText())
  );
}

export class CallGraph {
  private readonly checker: ts.TypeChecker;
  private readonly sources: ts.SourceFile[];
  /** Interface/type member symbol → the declarations implementing it (class members, object-literal properties). */
  private readonly implementations = new Map<ts.Symbol, ts.Node[]>();

  constructor(private readonly prog: ts.Program = program()) {
    this.checker = prog.getTypeChecker();
    this.sources = prog.getSourceFiles().filter(isRepoSource);
    for (const sf of this.sources) this.indexImplementations(sf);
  }

  private rel(file: string): string {
    return relative(ROOT, file);
  }

  private addImpl(member: ts.Symbol | undefined, node: ts.Node): void {
    if (!member) return;
    for (const root of this.checker.getRootSymbols(member)) {
      const list = this.implementations.get(root) ?? [];
      list.push(node);
      this.implementations.set(root, list);
    }
  }

  /** Class members by the interfaces the class implements; object-literal properties by their contextual type. */
  private indexImplementations(sf: ts.SourceFile): void {
    const visit = (node: ts.Node): void => {
      if (ts.isClassLike(node)) {
        for (const clause of node.heritageClauses ?? []) {
          for (const t of clause.types) {
            const type = this.checker.getTypeAtLocation(t);
            for (const member of node.members) {
              const name = member.name && ts.isIdentifier(member.name) ? member.name.text : undefined;
              if (name) this.addImpl(type.getProperty(name), member);
            }
          }
        }
      }
      // `new C(…)` where one of our interfaces is expected (a deps property, an argument): C's
      // members implement that interface's members, whether or not C says `implements`.
      if (ts.isNewExpression(node)) {
        const contextual = this.checker.getContextualType(node);
        const cls = this.checker
          .getTypeAtLocation(node)
          .getSymbol()
          ?.declarations?.find((d): d is ts.ClassLikeDeclaration => ts.isClassLike(d));
        if (contextual && cls && isRepoSource(cls.getSourceFile())) {
          const type = this.checker.getNonNullableType(contextual);
          for (const c of type.isUnion() ? type.types : [type]) {
            for (const member of cls.members) {
              const name = member.name && ts.isIdentifier(member.name) ? member.name.text : undefined;
              if (name) this.addImpl(c.getProperty(name), member);
            }
          }
        }
      }
      if (ts.isObjectLiteralExpression(node)) {
        const contextual = this.checker.getContextualType(node);
        if (contextual) {
          const type = this.checker.getNonNullableType(contextual);
          for (const prop of node.properties) {
            const name = prop.name && ts.isIdentifier(prop.name) ? prop.name.text : undefined;
            if (!name) continue;
            const candidates = type.isUnion() ? type.types : [type];
            for (const c of candidates) this.addImpl(c.getProperty(name), prop);
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }

  /** True for a function-valued property of an object literal typed by one of our own types (reached through the member). */
  private reachedThroughMember(node: ts.Node): boolean {
    if (!(ts.isArrowFunction(node) || ts.isFunctionExpression(node) || ts.isMethodDeclaration(node)))
      return false;
    const prop = ts.isMethodDeclaration(node) ? node : node.parent;
    if (!prop || !(ts.isPropertyAssignment(prop) || ts.isMethodDeclaration(prop))) return false;
    const obj = prop.parent;
    if (!obj || !ts.isObjectLiteralExpression(obj)) return false;
    const contextual = this.checker.getContextualType(obj);
    if (!contextual) return false;
    const type = this.checker.getNonNullableType(contextual);
    const name = prop.name && ts.isIdentifier(prop.name) ? prop.name.text : undefined;
    if (!name) return false;
    const member = type.getProperty(name);
    return !!member?.declarations?.some(
      (d) => isRepoSource(d.getSourceFile()) && !ts.isObjectLiteralElement(d),
    );
  }

  /** The declarations a reference leads to (aliases followed; our interfaces' members → their implementations). */
  private targets(id: ts.Node): ts.Node[] {
    let sym = this.checker.getSymbolAtLocation(id);
    if (!sym) return [];
    if (sym.flags & ts.SymbolFlags.Alias) sym = this.checker.getAliasedSymbol(sym);
    const out: ts.Node[] = [];
    for (const root of this.checker.getRootSymbols(sym)) {
      for (const decl of root.declarations ?? []) {
        if (!isRepoSource(decl.getSourceFile())) continue;
        if (
          ts.isMethodSignature(decl) ||
          ts.isPropertySignature(decl) ||
          ts.isPropertyDeclaration(decl) ||
          ts.isMethodDeclaration(decl)
        ) {
          out.push(...(this.implementations.get(root) ?? []));
        }
        out.push(decl);
      }
    }
    return out;
  }

  /** The AWS SDK commands the code reachable from `entry` (a source file) constructs, restricted to `files`. */
  commands(entry: string, files?: Set<string>): Command[] {
    const start = this.prog.getSourceFile(join(ROOT, entry));
    if (!start) throw new Error(`${entry}: not in the TypeScript program`);
    const seen = new Set<ts.Node>();
    const found = new Map<string, Command>();
    const queue: ts.Node[] = [start];
    const allowed = (n: ts.Node) => !files || files.has(this.rel(n.getSourceFile().fileName));
    while (queue.length) {
      const node = queue.pop()!;
      if (seen.has(node) || !allowed(node)) continue;
      seen.add(node);
      if (isCompositionRoot(node)) continue;
      const file = this.rel(node.getSourceFile().fileName);
      const walk = (n: ts.Node): void => {
        if (n !== node && n.parent !== node && this.reachedThroughMember(n)) return;
        // Types, interfaces and imports name no code that runs (a name used in code resolves on its own).
        if (
          ts.isTypeNode(n) ||
          ts.isInterfaceDeclaration(n) ||
          ts.isTypeAliasDeclaration(n) ||
          ts.isImportDeclaration(n) ||
          ts.isExportDeclaration(n) ||
          ts.isHeritageClause(n)
        )
          return;
        if (ts.isNewExpression(n) && ts.isIdentifier(n.expression) && n.expression.text.endsWith('Command')) {
          const pkg = sdkImport(this.checker, n.expression);
          if (pkg) {
            const operation = n.expression.text.slice(0, -'Command'.length);
            found.set(`${pkg}#${operation}#${file}`, { pkg, operation, file });
          }
        }
        if (
          ts.isCallExpression(n) &&
          ts.isIdentifier(n.expression) &&
          /^paginate[A-Z]/.test(n.expression.text)
        ) {
          const pkg = sdkImport(this.checker, n.expression);
          if (pkg) {
            const operation = n.expression.text.slice('paginate'.length);
            found.set(`${pkg}#${operation}#${file}`, { pkg, operation, file });
          }
        }
        if (ts.isIdentifier(n) || ts.isPrivateIdentifier(n)) {
          for (const t of this.targets(n)) if (!seen.has(t)) queue.push(t);
        }
        // `new C(...)`: C's constructor and property initializers run (its other methods only when called).
        if (ts.isClassLike(n) && n !== node) return;
        ts.forEachChild(n, walk);
      };
      if (ts.isClassLike(node)) {
        for (const m of node.members)
          if (ts.isConstructorDeclaration(m) || (ts.isPropertyDeclaration(m) && m.initializer)) walk(m);
        // A subclass's constructor runs its base class's.
        for (const clause of node.heritageClauses ?? [])
          if (clause.token === ts.SyntaxKind.ExtendsKeyword)
            for (const t of clause.types) for (const d of this.targets(t.expression)) queue.push(d);
      } else walk(node);
    }
    return [...found.values()];
  }

  /** Every command constructed anywhere in `files` (the bundle-level upper bound). */
  commandsIn(files: Set<string>): Command[] {
    const out: Command[] = [];
    for (const sf of this.sources) {
      const file = this.rel(sf.fileName);
      if (!files.has(file)) continue;
      const walk = (n: ts.Node): void => {
        if (ts.isNewExpression(n) && ts.isIdentifier(n.expression) && n.expression.text.endsWith('Command')) {
          const pkg = sdkImport(this.checker, n.expression);
          if (pkg) out.push({ pkg, operation: n.expression.text.slice(0, -'Command'.length), file });
        }
        if (
          ts.isCallExpression(n) &&
          ts.isIdentifier(n.expression) &&
          /^paginate[A-Z]/.test(n.expression.text)
        ) {
          const pkg = sdkImport(this.checker, n.expression);
          if (pkg) out.push({ pkg, operation: n.expression.text.slice('paginate'.length), file });
        }
        ts.forEachChild(n, walk);
      };
      walk(sf);
    }
    return out;
  }
}

function summarize(commands: Command[]): { actions: string[]; callers: Record<string, string[]> } {
  const callers: Record<string, Set<string>> = {};
  for (const c of commands) {
    const action = iamAction(c.pkg, c.operation);
    callers[action] ??= new Set();
    callers[action].add(c.file);
  }
  const actions = Object.keys(callers).sort();
  return { actions, callers: Object.fromEntries(actions.map((a) => [a, [...callers[a]].sort()])) };
}

/** The handler file of a serverless.yml `handler:` (functions/check-builder.handler → functions/check-builder.ts). */
export function handlerFile(handler: string): string {
  return `${handler.slice(0, handler.lastIndexOf('.'))}.ts`;
}

/** The IAM actions each function (by serverless.yml name → its handler) calls. */
export async function functionActions(
  handlers: Record<string, string>,
  graph = new CallGraph(),
): Promise<Record<string, FunctionActions>> {
  const out: Record<string, FunctionActions> = {};
  for (const [name, handler] of Object.entries(handlers)) {
    const file = handlerFile(handler);
    const files = await bundledFiles(file);
    const reached = summarize(graph.commands(file, files));
    const bundle = summarize(graph.commandsIn(files));
    out[name] = {
      handler: file,
      actions: reached.actions,
      callers: reached.callers,
      bundleActions: bundle.actions,
    };
  }
  return out;
}
