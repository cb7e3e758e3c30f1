import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DeclaredRoute, matchRoute, routeKey } from '../../local/up/routes';
import { readServerless } from '../../local/up/schedules';
import { packagedTemplate } from '../deploy/packaged';

const dir = mkdtempSync(join(tmpdir(), 'local-routes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const serverlessWith = (functions: string) => {
  const file = join(dir, `serverless-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, `service: svc\nfunctions:\n${functions}`);
  return file;
};

/** osls's logical-id form of a function name (naming.getNormalizedFunctionName). */
const normalized = (fn: string) =>
  `${fn[0].toUpperCase()}${fn.slice(1)}`.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');

/** `osls package` (shared with the other deploy tests, cached by input hash): minutes on a busy machine. */
const PACKAGE_TIMEOUT_MS = 600_000;

describe('local up: the routes serverless.yml declares', () => {
  it(
    "are exactly the packaged stack's AWS::ApiGatewayV2::Route resources: key, auth and target function",
    async () => {
      const local = readServerless('serverless.yml').routes.map((r) => ({
        routeKey: routeKey(r),
        auth: r.auth,
        integration: `HttpApiIntegration${normalized(r.function)}`,
      }));
      const { template } = await packagedTemplate();
      const packaged = Object.values(template.Resources)
        .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
        .map((r) => ({
          routeKey: r.Properties.RouteKey,
          // A route without AuthorizationType has none (CloudFormation's default, NONE).
          auth: r.Properties.AuthorizationType ?? 'NONE',
          integration: r.Properties.Target['Fn::Join'][1][1].Ref,
        }));
      const byKey = (a: { routeKey: string }, b: { routeKey: string }) =>
        a.routeKey.localeCompare(b.routeKey);
      expect(local.sort(byKey)).toEqual(packaged.sort(byKey));
      // The API as issue 10 describes it: four IAM routes and the two signed webhooks.
      expect(local.filter((r) => r.auth === 'AWS_IAM').map((r) => r.routeKey)).toEqual(
        expect.arrayContaining([
          'POST /pipelines/{name}/runs',
          'GET /runs/{id}',
          'POST /fleets/{name}/override',
          'POST /cleanup/runs',
        ]),
      );
      expect(local.filter((r) => r.auth === 'NONE').map((r) => r.routeKey)).toEqual(
        expect.arrayContaining(['POST /hooks/pipelines/{name}/runs', 'POST /hooks/github/pipelines/{name}']),
      );
    },
    PACKAGE_TIMEOUT_MS,
  );

  it('reads every httpApi form osls takes: "METHOD /path", "*", objects with method * and aws_iam', () => {
    const file = serverlessWith(`  a:
    handler: a.handler
    events:
      - httpApi: 'get /items/{id}'
      - httpApi:
          method: '*'
          path: /items
          authorizer:
            type: aws_iam
      - schedule: rate(1 hour)
  b:
    handler: b.handler
    events:
      - httpApi: '*'
      - httpApi:
          method: post
          path: /files/{key+}
`);
    expect(readServerless(file).routes).toEqual([
      { method: 'GET', path: '/items/{id}', auth: 'NONE', function: 'a' },
      { method: 'ANY', path: '/items', auth: 'AWS_IAM', function: 'a' },
      { method: 'ANY', path: '$default', auth: 'NONE', function: 'b' },
      { method: 'POST', path: '/files/{key+}', auth: 'NONE', function: 'b' },
    ]);
  });

  it('refuses an authorizer it cannot stand in for (JWT, Lambda) rather than serve the route open', () => {
    const jwt = serverlessWith(`  a:
    handler: a.handler
    events:
      - httpApi:
          method: GET
          path: /me
          authorizer:
            name: cognito
`);
    expect(() => readServerless(jwt)).toThrow(
      /functions\.a: httpApi GET \/me: authorizer \{"name":"cognito"\}: only \{type: aws_iam\} \(or none\) runs locally/,
    );
    const dup = serverlessWith(`  a:
    handler: a.handler
    events:
      - httpApi: GET /x
  b:
    handler: b.handler
    events:
      - httpApi:
          method: get
          path: /x
`);
    expect(() => readServerless(dup)).toThrow(/functions\.b: httpApi: duplicate route 'GET \/x'/);
  });
});

describe('local up: route selection, as API Gateway selects', () => {
  const route = (method: string, path: string): DeclaredRoute => ({
    method,
    path,
    auth: 'NONE',
    function: 'f',
  });
  const routes = [
    route('ANY', '$default'),
    route('ANY', '/files/{key+}'),
    route('GET', '/files/{key+}'),
    route('ANY', '/runs/{id}'),
    route('GET', '/runs/{id}'),
    route('POST', '/runs/latest'),
  ];
  const select = (method: string, path: string) => {
    const m = matchRoute(routes, method, path);
    return m && [routeKey(m.route), m.params];
  };

  it('prefers the most specific route: its method over ANY, no greedy variable, then $default', () => {
    expect(select('GET', '/runs/pipeline%3Aa')).toEqual(['GET /runs/{id}', { id: 'pipeline:a' }]);
    expect(select('DELETE', '/runs/a')).toEqual(['ANY /runs/{id}', { id: 'a' }]);
    expect(select('POST', '/runs/latest')).toEqual(['POST /runs/latest', {}]);
    expect(select('GET', '/files/a/b%20c')).toEqual(['GET /files/{key+}', { key: 'a/b c' }]);
    expect(select('PUT', '/files/a')).toEqual(['ANY /files/{key+}', { key: 'a' }]);
    // Nothing else matches: the $default route; an empty parameter matches no {id}.
    expect(select('GET', '/runs/')).toEqual(['$default', {}]);
    expect(select('GET', '/elsewhere')).toEqual(['$default', {}]);
    expect(matchRoute(routes.slice(1), 'GET', '/elsewhere')).toBeUndefined();
  });
});
