/**
 * References in a CloudFormation template that name nothing: a Ref, Fn::GetAtt or Fn::Sub
 * `${Name}` / `${Name.Attr}` whose target is neither a resource, a parameter nor a pseudo
 * parameter. CloudFormation refuses such a template at deploy time ("Unresolved resource
 * dependencies"), which `osls package` does not check.
 */
const PSEUDO = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

interface Template {
  Resources?: Record<string, unknown>;
  Parameters?: Record<string, unknown>;
}

export function danglingReferences(template: Template): string[] {
  const known = new Set([
    ...Object.keys(template.Resources ?? {}),
    ...Object.keys(template.Parameters ?? {}),
  ]);
  const bad: string[] = [];
  const check = (name: string, how: string, locals: Set<string> = new Set()) => {
    if (!known.has(name) && !PSEUDO.has(name) && !locals.has(name)) bad.push(`${how} ${name}`);
  };
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const item of v) walk(item);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    for (const [key, value] of Object.entries(v)) {
      if (key === 'Ref' && typeof value === 'string') check(value, 'Ref');
      else if (key === 'Fn::GetAtt') {
        const target = Array.isArray(value) ? value[0] : String(value).split('.')[0];
        if (typeof target === 'string') check(target, 'Fn::GetAtt');
        else walk(value);
      } else if (key === 'Fn::Sub') {
        const [text, vars] = Array.isArray(value) ? value : [value, {}];
        const locals = new Set(Object.keys((vars as Record<string, unknown>) ?? {}));
        // ${!Literal} is a literal; ${Name} and ${Name.Attr} are references.
        for (const m of String(text).matchAll(/\$\{(?!!)([^}]+)\}/g))
          check(m[1].includes('::') ? m[1] : m[1].split('.')[0], 'Fn::Sub', locals);
        walk(vars);
      } else walk(value);
    }
  };
  walk(template.Resources);
  walk((template as { Outputs?: unknown }).Outputs);
  walk((template as { Conditions?: unknown }).Conditions);
  return bad;
}
