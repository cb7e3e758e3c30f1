import { DescribeFleetsCommand, ListTagsForResourceCommand } from '@aws-sdk/client-appstream';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { type ApiEvent, type ApiResult, createApi } from '../../lib/api/app';
import type { Executions } from '../../lib/api/executions';
import { AppStreamOverrides } from '../../lib/api/overrides';
import { parseOverride } from '../../lib/schedule/override';
import { TAG } from '../../lib/tags';
import { createFleet } from '../helpers/builders';
import { useEmulator } from '../helpers/emulator';

const f = useEmulator();
const NOW = Date.UTC(2026, 10, 26, 10, 0, 0);
const noExecutions: Executions = {
  start: async () => {
    throw new Error('not used');
  },
  describe: async () => undefined,
};

/** The API's override route over the real AppStream SDK, against the emulator over HTTP. */
function api() {
  const handler = createApi(
    {
      executions: noExecutions,
      overrides: new AppStreamOverrides(f.client()),
      secrets: { hmacSecret: async () => 'x', githubSecret: async () => 'y' },
      clock: { now: () => NOW },
      logger: { info() {}, warn() {}, error() {} },
    },
    { routes: 'iam' },
  );
  return async (fleet: string, body: unknown) => {
    const path = `/fleets/${fleet}/override`;
    const res = (await handler(
      {
        version: '2.0',
        routeKey: `POST ${path}`,
        rawPath: path,
        rawQueryString: '',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        isBase64Encoded: false,
        requestContext: { http: { method: 'POST', path } },
      } as unknown as ApiEvent,
      {} as Context,
    )) as ApiResult;
    return { status: res.statusCode, json: JSON.parse(res.body as string) };
  };
}

describe('API ↔ emulator: POST /fleets/{name}/override', () => {
  it('writes the override tag the fleet schedule reads, and clears it', async () => {
    const client = f.client();
    await createFleet(client, 'office');
    const arn = (await client.send(new DescribeFleetsCommand({ Names: ['office'] }))).Fleets?.[0]
      ?.Arn as string;
    expect(arn).toMatch(/:fleet\/office$/);
    const call = api();

    const set = await call('office', { capacity: 12, until: '2026-11-26T18:00:00Z' });
    expect(set).toEqual({
      status: 200,
      json: { fleet: 'office', arn, tag: { key: TAG.override, value: '12@2026-11-26T18:00Z' } },
    });
    const { Tags } = await client.send(new ListTagsForResourceCommand({ ResourceArn: arn }));
    expect(parseOverride(Tags?.[TAG.override] ?? '')).toEqual({
      capacity: 12,
      until: Date.UTC(2026, 10, 26, 18),
    });

    expect(await call('office', { clear: true })).toEqual({
      status: 200,
      json: { fleet: 'office', arn, cleared: true },
    });
    const after = await client.send(new ListTagsForResourceCommand({ ResourceArn: arn }));
    expect(after.Tags?.[TAG.override]).toBeUndefined();
  });

  it('answers 404 FleetNotFound for a fleet the account does not have', async () => {
    const res = await api()('ghost', { capacity: 1, until: '2026-11-27T00:00:00Z' });
    expect(res).toEqual({
      status: 404,
      json: { error: 'FleetNotFound', message: "no fleet named 'ghost' in this region" },
    });
  });
});
