import { DescribeStacksCommand } from '@aws-sdk/client-appstream';
import { beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../../emulator';
import { accessKeyFor } from '../../../emulator/auth';
import { MAX_BODY } from '../../../emulator/server';
import { createFleet, createStack } from '../../helpers/builders';
import { OTHER_ACCOUNT, rawCall, useEmulator } from '../../helpers/emulator';
import { expectAwsError, stateDump, whileProbing } from '../../helpers/hostile';

// The clock stands still (real time is a constant), so "state unchanged" compares exactly.
const f = useEmulator({ realTime: () => 0 });

/** Generous: the old quadratic pattern check took seconds for 70,000 characters and never finished 1 MB. */
const HOSTILE_BOUND_MS = 1000;
/** A health probe sent while a hostile request runs is answered within this (the figure). */
const PROBE_BOUND_MS = 100;

beforeEach(async () => {
  const client = f.client();
  await createFleet(client, 'f1');
  await createStack(client, 's1');
});

/**
 * Sends a hostile request while probing health; asserts a prompt AWS-shaped 4xx, no state
 * change, and probes answered meanwhile. Returns the response.
 */
async function hostile(
  send: () => Promise<{ status: number; json: Record<string, unknown> }>,
  type: string,
  status = 400,
) {
  const before = stateDump(f.emu);
  const t = performance.now();
  const { result, probes, slowestMs } = await whileProbing(f.emu.endpoint, send);
  const ms = performance.now() - t;
  expectAwsError(result, type, status);
  expect(ms).toBeLessThan(HOSTILE_BOUND_MS);
  expect(probes).toBeGreaterThan(0);
  expect(slowestMs).toBeLessThan(PROBE_BOUND_MS);
  expect(stateDump(f.emu)).toBe(before);
  return result;
}

const control = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${f.emu.endpoint}/_emulator/${path}`, {
    method,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

describe('Emulator: hostile input — regular expressions', () => {
  it('refuses a 70,000-character UsbDeviceFilterStrings item promptly, by its length', async () => {
    const res = await hostile(
      () =>
        rawCall(f.emu.endpoint, 'UpdateFleet', { Name: 'f1', UsbDeviceFilterStrings: ['a'.repeat(70_000)] }),
      'ValidationException',
    );
    expect(res.json.message).toContain("at 'usbDeviceFilterStrings.1.member' failed to satisfy constraint");
    expect(res.json.message).toContain('Member must have length less than or equal to 100');
    expect(res.json.message).not.toContain('regular expression');
  });

  it('refuses a 1 MB string in a member with a pattern and no length limit promptly', async () => {
    const res = await hostile(
      () => rawCall(f.emu.endpoint, 'CreateStack', { Name: `s${'1'.repeat(1_000_000)}!` }),
      'ValidationException',
    );
    expect(res.json.message).toContain('Member must satisfy regular expression pattern');
  });

  it('refuses many long items without slowing down the emulator', async () => {
    const items = Array.from({ length: 2_000 }, () => `${'a,'.repeat(400)}`);
    await hostile(
      () => rawCall(f.emu.endpoint, 'UpdateFleet', { Name: 'f1', UsbDeviceFilterStrings: items }),
      'ValidationException',
    );
  });
});

describe('Emulator: hostile input — deep nesting and half-applied requests', () => {
  it('answers CreateStack with a 20,000-deep unknown member 400 and stores nothing', async () => {
    const deep = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
    await hostile(
      () => rawCall(f.emu.endpoint, 'CreateStack', `{"Name":"s2","Evil":${deep}}`),
      'SerializationException',
    );
    const described = await f.client().send(new DescribeStacksCommand({}));
    expect(described.Stacks?.map((s) => s.Name)).toEqual(['s1']);
    expect((await createStack(f.client(), 's2')).Name).toBe('s2');
  });

  it('answers deep nesting inside a declared member 400, never 500', async () => {
    const deep = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
    await hostile(
      () => rawCall(f.emu.endpoint, 'CreateStack', `{"Name":"s2","StorageConnectors":${deep}}`),
      'SerializationException',
    );
  });

  it('answers a wrong type deep in a request 400 without storing anything', async () => {
    await hostile(
      () =>
        rawCall(f.emu.endpoint, 'CreateStack', {
          Name: 's2',
          StorageConnectors: [{ ConnectorType: 'HOMEFOLDERS', Domains: [{ nested: true }] }],
        }),
      'SerializationException',
    );
  });
});

describe('Emulator: hostile input — numbers that do not fit', () => {
  it('answers 400 SerializationException for an integer past 32 bits, before any business rule', async () => {
    const before = stateDump(f.emu);
    for (const n of [2147483648, 1e308])
      expectAwsError(
        await rawCall(f.emu.endpoint, 'CreateFleet', {
          Name: 'big',
          InstanceType: 'stream.standard.medium',
          ImageName: 'AppStream-WinServer2022-10-14-2025',
          ComputeCapacity: { DesiredInstances: n },
        }),
        'SerializationException',
      );
    expectAwsError(
      await rawCall(f.emu.endpoint, 'UpdateFleet', {
        Name: 'f1',
        ComputeCapacity: { DesiredInstances: 1e308 },
      }),
      'SerializationException',
    );
    expect(stateDump(f.emu)).toBe(before);
  });
});

describe('Emulator: hostile input — unknown members', () => {
  it('drops members the model does not declare, at every level: never stored or echoed', async () => {
    const res = await rawCall(f.emu.endpoint, 'CreateStack', {
      Name: 's2',
      Evil: 'top',
      StorageConnectors: [{ ConnectorType: 'HOMEFOLDERS', Evil: { x: 1 } }],
      UserSettings: [{ Action: 'FILE_UPLOAD', Permission: 'ENABLED', Evil: 1 }],
    });
    expect(res.status).toBe(200);
    const described = await rawCall(f.emu.endpoint, 'DescribeStacks', { Names: ['s2'] });
    for (const text of [JSON.stringify(res.json), JSON.stringify(described.json), stateDump(f.emu)])
      expect(text).not.toContain('Evil');
    expect((described.json.Stacks as { StorageConnectors: unknown }[])[0].StorageConnectors).toEqual([
      { ConnectorType: 'HOMEFOLDERS' },
    ]);
  });
});

describe('Emulator: hostile input — prototype names', () => {
  for (const name of [
    'constructor',
    'toString',
    '__proto__',
    'hasOwnProperty',
    'valueOf',
    'DescribeFleets.Extra',
  ])
    it(`answers X-Amz-Target PhotonAdminProxyService.${name} with UnknownOperationException`, async () => {
      await hostile(() => rawCall(f.emu.endpoint, name, { Name: 'x' }), 'UnknownOperationException');
    });

  it('answers prototype names on the control API with 404', async () => {
    for (const path of ['constructor', '__proto__', 'toString', 'hasOwnProperty'])
      for (const method of ['GET', 'POST']) {
        const res = await control(method, path, method === 'POST' ? {} : undefined);
        expect(res.status).toBe(404);
        expect(res.json.__type).toBe('NotFound');
      }
  });

  it('stores a tag named __proto__ and a resource named constructor like any other', async () => {
    const created = await rawCall(f.emu.endpoint, 'CreateStack', { Name: 'constructor' });
    expect(created.status).toBe(200);
    const arn = (created.json.Stack as { Arn: string }).Arn;
    const tagged = await rawCall(f.emu.endpoint, 'TagResource', {
      ResourceArn: arn,
      Tags: JSON.parse('{"__proto__": "p", "constructor": "c"}'),
    });
    expect(tagged.status).toBe(200);
    const listed = await rawCall(f.emu.endpoint, 'ListTagsForResource', { ResourceArn: arn });
    expect(listed.json.Tags).toEqual(JSON.parse('{"__proto__": "p", "constructor": "c"}'));
    expect(Object.getPrototypeOf(listed.json.Tags)).toBe(Object.prototype);
    const described = await rawCall(f.emu.endpoint, 'DescribeStacks', { Names: ['constructor'] });
    expect((described.json.Stacks as { Name: string }[])[0].Name).toBe('constructor');
    expectAwsError(
      await rawCall(f.emu.endpoint, 'DescribeStacks', { Names: ['hasOwnProperty'] }),
      'ResourceNotFoundException',
    );
  });
});

describe('Emulator: hostile input — big bodies', () => {
  it(`answers a 2.5 MB body with HTTP 413 and a JSON message (limit ${MAX_BODY} bytes), not a reset`, async () => {
    const res = await hostile(
      () => rawCall(f.emu.endpoint, 'CreateStack', { Name: 's2', Description: 'x'.repeat(2_500_000) }),
      'RequestEntityTooLargeException',
      413,
    );
    expect(res.json.message).toContain(`limit of ${MAX_BODY} bytes`);
  });

  it('answers an oversized control request with 413 too', async () => {
    const res = await control('POST', 'faults', { throttleOperations: ['x'.repeat(3_000_000)] });
    expectAwsError(res, 'RequestEntityTooLargeException', 413);
  });
});

describe('Emulator: hostile input — regions and accounts', () => {
  it('refuses a credential scoped to a region AppStream does not run in (403 InvalidSignatureException)', async () => {
    for (const region of ['x:y', 'us-east-7', 'mars-1']) {
      const res = await hostile(
        () => rawCall(f.emu.endpoint, 'CreateStack', { Name: 's2' }, { region }),
        'InvalidSignatureException',
        403,
      );
      expect(res.json.message).toBe('Credential should be scoped to a valid region. ');
    }
  });

  it('serves every AppStream region of the partition', async () => {
    for (const region of ['eu-west-1', 'ap-southeast-2', 'ca-central-1']) {
      const res = await rawCall(f.emu.endpoint, 'CreateStack', { Name: 's2' }, { region });
      expect((res.json.Stack as { Arn: string }).Arn).toBe(
        `arn:aws:appstream:${region}:123456789012:stack/s2`,
      );
    }
  });

  it('takes its region list from WorldOptions.regions', async () => {
    const emu = await startEmulator({ regions: ['eu-west-1'] });
    try {
      expect((await rawCall(emu.endpoint, 'DescribeStacks', {}, { region: 'eu-west-1' })).status).toBe(200);
      expectAwsError(
        await rawCall(emu.endpoint, 'DescribeStacks', {}, { region: 'us-east-1' }),
        'InvalidSignatureException',
        403,
      );
    } finally {
      await emu.stop();
    }
  });

  it('reads the account from AKIA/ASIA access keys that carry it, and from 12-digit keys', async () => {
    const temporary = accessKeyFor(OTHER_ACCOUNT, true);
    expect(temporary).toMatch(/^ASIA210987654321[A-Z0-9]{4}$/);
    // ASIA keys are STS's: only issued ones are valid (an unknown one is UnrecognizedClientException).
    f.emu.world.issuedKeys.set(temporary, {
      accessKeyId: temporary,
      account: OTHER_ACCOUNT,
      arn: `arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/r/s`,
      userId: 'AROAEXAMPLE:s',
      expiration: Number.MAX_SAFE_INTEGER,
    });
    expect(accessKeyFor(OTHER_ACCOUNT, false, 'AB12')).toBe('AKIA210987654321AB12');
    for (const key of [temporary, accessKeyFor(OTHER_ACCOUNT, false), OTHER_ACCOUNT]) {
      const res = await rawCall(f.emu.endpoint, 'DescribeStacks', {}, { account: key });
      expect(res.json.Stacks).toEqual([]);
    }
    const created = await rawCall(f.emu.endpoint, 'CreateStack', { Name: 's9' }, { account: temporary });
    expect((created.json.Stack as { Arn: string }).Arn).toContain(`:${OTHER_ACCOUNT}:stack/s9`);
    const other = await rawCall(f.emu.endpoint, 'CreateStack', { Name: 's9' }, { account: 'AKIAEXAMPLE' });
    expect((other.json.Stack as { Arn: string }).Arn).toContain(':123456789012:stack/s9');
  });
});

describe('Emulator: hostile input — numbers', () => {
  it('refuses a negative DesiredInstances on UpdateFleet and CreateFleet', async () => {
    const res = await hostile(
      () => rawCall(f.emu.endpoint, 'UpdateFleet', { Name: 'f1', ComputeCapacity: { DesiredInstances: -3 } }),
      'ValidationException',
    );
    expect(res.json.message).toBe(
      "1 validation error detected: Value -3 at 'computeCapacity.desiredInstances' failed to satisfy constraint: Member must have value greater than or equal to 0",
    );
    await hostile(
      () =>
        rawCall(f.emu.endpoint, 'CreateFleet', {
          Name: 'f2',
          InstanceType: 'stream.standard.medium',
          ImageName: 'AppStream-WinServer2022-10-14-2025',
          ComputeCapacity: { DesiredInstances: -1 },
        }),
      'ValidationException',
    );
  });

  it('refuses other counts out of range: sessions, session limits, URL validity', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      [
        'UpdateFleet',
        { Name: 'f1', ComputeCapacity: { DesiredSessions: -1 } },
        'computeCapacity.desiredSessions',
      ],
      ['UpdateFleet', { Name: 'f1', MaxConcurrentSessions: 0 }, 'maxConcurrentSessions'],
      ['UpdateFleet', { Name: 'f1', MaxSessionsPerInstance: -2 }, 'maxSessionsPerInstance'],
      ['CreateStreamingURL', { StackName: 's1', FleetName: 'f1', UserId: 'user', Validity: 0 }, 'validity'],
      [
        'CreateStreamingURL',
        { StackName: 's1', FleetName: 'f1', UserId: 'user', Validity: 604801 },
        'validity',
      ],
    ];
    for (const [op, body, path] of cases) {
      const res = await hostile(() => rawCall(f.emu.endpoint, op, body), 'ValidationException');
      expect(res.json.message).toContain(`at '${path}'`);
    }
  });
});

describe('Emulator: hostile input — control API', () => {
  it('answers bad bodies with 400 ValidationException naming the field, never 500', async () => {
    const cases: [string, unknown, string][] = [
      ['streaming-sessions', { url: 5 }, "'url'"],
      ['streaming-sessions', { url: 'not a url' }, "'url'"],
      ['streaming-sessions', [], 'body'],
      ['faults/fail-calls', {}, "'code'"],
      ['faults/fail-calls', { code: 'X', count: 'many' }, "'count'"],
      ['faults/fail-transition', { kind: 'rocket' }, "'kind'"],
      ['quotas', { stacks: '3' }, "'stacks'"],
      ['quotas', { stacks: -1 }, "'stacks'"],
      ['quotas', { stackz: 3 }, 'stackz'],
      ['clock', { advanceMs: -5 }, "'advanceMs'"],
      ['clock', { speed: 0 }, "'speed'"],
      ['faults', { throttleRate: 2 }, "'throttleRate'"],
      ['image-assistant', { builderName: 'b1', argv: [1] }, "'argv.0'"],
      ['image-assistant', { builderName: 'b1', argv: [], accountId: 'abc' }, "'accountId'"],
      ['image-assistant', { builderName: 'b1', argv: [], region: 'x:y' }, "'region'"],
      ['durations', { builderLaunch: 'slow' }, "'builderLaunch'"],
      ['reset', { seed: 'abc' }, "'seed'"],
    ];
    for (const [path, body, field] of cases) {
      const before = stateDump(f.emu);
      const res = await control('POST', path, body);
      expectAwsError(res, 'ValidationException');
      expect(res.json.message, `${path} ${JSON.stringify(body)}`).toContain(field);
      expect(stateDump(f.emu)).toBe(before);
    }
  });

  it('keeps a quota after a refused string value: the limit still applies', async () => {
    expect((await control('POST', 'quotas', { stacks: 1 })).status).toBe(200);
    expect((await control('POST', 'quotas', { stacks: 'none' })).status).toBe(400);
    expectAwsError(await rawCall(f.emu.endpoint, 'CreateStack', { Name: 's2' }), 'LimitExceededException');
  });

  it('answers malformed and too-deep JSON with SerializationException', async () => {
    for (const body of ['{"url": ', `${'['.repeat(5_000)}${']'.repeat(5_000)}`]) {
      const res = await control('POST', 'streaming-sessions', body);
      expectAwsError(res, 'SerializationException');
    }
  });
});
