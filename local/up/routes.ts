/**
 * The routes of the webhooks API, as serverless.yml's `httpApi` events declare them (the one
 * source osls packages the AWS::ApiGatewayV2::Route resources from), and API Gateway's route
 * selection over them for the local server.
 *
 * An event is read the way osls reads it (lib/plugins/aws/package/compile/events/http-api.js):
 * `httpApi: '<METHOD> <path>'`, `httpApi: '*'` (the `$default` route), or `{method, path,
 * authorizer}`; the method is upper-cased and `*` is `ANY`; `authorizer: {type: aws_iam}` is an
 * AWS_IAM route, no authorizer a route without auth. JWT and Lambda (request) authorizers have no
 * local stand-in: serverless.yml declaring one is refused at start rather than served unprotected.
 */
export type Auth = 'AWS_IAM' | 'NONE';

export interface DeclaredRoute {
  /** Upper case; `ANY` for `*`. */
  method: string;
  /** As declared (`/runs/{id}`, `/files/{proxy+}`), or `$default` for `httpApi: '*'`. */
  path: string;
  auth: Auth;
  /** The serverless.yml function the route invokes. */
  function: string;
}

/** API Gateway's route key: `POST /runs/{id}`, or `$default`. */
export const routeKey = (r: Pick<DeclaredRoute, 'method' | 'path'>) =>
  r.path === '$default' ? '$default' : `${r.method} ${r.path}`;

/** osls's methods (http-api.js allowedMethods). */
const METHODS = new Set(['ANY', 'GET', 'POST', 'PUT', 'PATCH', 'OPTIONS', 'HEAD', 'DELETE']);

/** The httpApi events of `functions` (serverless.yml's `functions:`, an object or a list of objects). */
export function declaredRoutes(
  functions: unknown,
  file: string,
  resolve: (v: unknown) => unknown = (v) => v,
): DeclaredRoute[] {
  const all = (Array.isArray(functions) ? Object.assign({}, ...functions) : (functions ?? {})) as Record<
    string,
    { events?: unknown[] } | null
  >;
  const routes: DeclaredRoute[] = [];
  for (const [fn, def] of Object.entries(all)) {
    for (const event of def?.events ?? []) {
      const raw = (event as { httpApi?: unknown } | null)?.httpApi;
      if (raw === undefined) continue;
      const where = `${file}: functions.${fn}: httpApi`;
      const value = resolve(raw);
      let method: string | undefined;
      let path: string;
      let authorizer: unknown;
      if (value && typeof value === 'object') {
        const o = value as { method?: unknown; path?: unknown; authorizer?: unknown };
        method = o.method === undefined ? undefined : String(o.method);
        path = String(o.path);
        authorizer = o.authorizer;
      } else {
        const text = String(value).trim();
        const m = /^(\S+)\s+(\/\S*)$/.exec(text);
        if (text === '*') path = '*';
        else if (m) [, method, path] = m;
        else throw new Error(`${where}: '${text}' is neither '*' nor '<METHOD> <path>'`);
      }
      if (path === '*') {
        if (method && method !== '*') throw new Error(`${where}: path '*' takes no method (it is $default)`);
        method = 'ANY';
        path = '$default';
      } else {
        if (!method) throw new Error(`${where}: no method`);
        method = method.toUpperCase() === '*' ? 'ANY' : method.toUpperCase();
        if (!METHODS.has(method)) throw new Error(`${where}: method '${method}' is not an HTTP API method`);
        if (!path.startsWith('/')) throw new Error(`${where}: path '${path}' must start with /`);
      }
      let auth: Auth = 'NONE';
      if (authorizer !== undefined && authorizer !== null) {
        const type = typeof authorizer === 'object' ? (authorizer as { type?: unknown }).type : undefined;
        if (type !== 'aws_iam')
          throw new Error(
            `${where} ${method} ${path}: authorizer ${JSON.stringify(authorizer)}: only {type: aws_iam} (or none) runs locally`,
          );
        auth = 'AWS_IAM';
      }
      const route = { method, path, auth, function: fn };
      if (routes.some((r) => routeKey(r) === routeKey(route)))
        throw new Error(`${where}: duplicate route '${routeKey(route)}'`);
      routes.push(route);
    }
  }
  return routes;
}

const PARAM = /^\{(\w+)\}$/;
const GREEDY = /^\{(\w+)\+\}$/;

/** Matches `path` against a declared path: its parameters (percent-decoded), or undefined. */
function matchPath(declared: string, path: string): Record<string, string> | undefined {
  const want = declared.split('/');
  const parts = path.split('/');
  const params: Record<string, string> = {};
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return undefined;
    }
  };
  for (let i = 0; i < want.length; i++) {
    const greedy = GREEDY.exec(want[i]);
    if (greedy && i === want.length - 1) {
      const rest = parts.slice(i).join('/');
      const v = rest ? decode(rest) : undefined;
      if (v === undefined) return undefined;
      params[greedy[1]] = v;
      return params;
    }
    if (i >= parts.length) return undefined;
    const param = PARAM.exec(want[i]);
    if (param) {
      const v = parts[i] ? decode(parts[i]) : undefined;
      if (v === undefined) return undefined;
      params[param[1]] = v;
    } else if (want[i] !== parts[i]) return undefined;
  }
  return want.length === parts.length ? params : undefined;
}

/**
 * The route API Gateway selects for a request, with its path parameters (API Gateway Developer
 * Guide, "Working with routes for HTTP APIs": the most specific match wins: a route without a
 * greedy variable before one with `{proxy+}`, then `$default`; a route's own method before `ANY`).
 */
export function matchRoute(routes: readonly DeclaredRoute[], method: string, path: string) {
  const greedy = (r: DeclaredRoute) => /\{\w+\+\}/.test(r.path);
  const tiers = [
    (r: DeclaredRoute) => r.path !== '$default' && !greedy(r) && r.method === method,
    (r: DeclaredRoute) => r.path !== '$default' && !greedy(r) && r.method === 'ANY',
    (r: DeclaredRoute) => greedy(r) && r.method === method,
    (r: DeclaredRoute) => greedy(r) && r.method === 'ANY',
  ];
  for (const tier of tiers)
    for (const route of routes.filter(tier)) {
      const params = matchPath(route.path, path);
      if (params) return { route, params };
    }
  const fallback = routes.find((r) => r.path === '$default');
  return fallback ? { route: fallback, params: {} } : undefined;
}
