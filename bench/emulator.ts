/**
 * Emulator benchmark: DescribeImageBuilders throughput and latency at 50 concurrent keep-alive
 * connections, and the emulator's memory with 10,000 builders + 10,000 images.
 * The emulator runs in its own process (as `autopilot emulator`), the load comes from this one.
 */

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silenceNodeVersionWarning } from '../lib/util/node-warnings';

silenceNodeVersionWarning();

const CONNECTIONS = 50;
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 5) * 1000;
const N = Number(process.env.BENCH_RESOURCES ?? 10_000);
const AUTH =
  'AWS4-HMAC-SHA256 Credential=123456789012/20261126/us-east-1/appstream/aws4_request, SignedHeaders=host, Signature=00';

const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });

/** One POST over the shared keep-alive agent; resolves with the status and the whole body. */
function post(
  endpoint: string,
  path: string,
  headers: Record<string, string>,
  payload: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, endpoint),
      {
        method: 'POST',
        agent,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(payload)) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** An AWS JSON 1.1 call (with `target`) or a control-API call (without). */
function call(
  endpoint: string,
  path: string,
  body: unknown,
  target?: string,
): Promise<{ status: number; body: string }> {
  return post(
    endpoint,
    path,
    {
      'content-type': 'application/x-amz-json-1.1',
      ...(target ? { 'x-amz-target': `PhotonAdminProxyService.${target}`, authorization: AUTH } : {}),
    },
    JSON.stringify(body),
  );
}

const api = (endpoint: string, op: string, body: unknown) => call(endpoint, '/', body, op);
const control = (endpoint: string, path: string, body: unknown) => call(endpoint, `/_emulator/${path}`, body);

/** An EC2 Query-protocol call (form-encoded `Action=`, XML answer), as @aws-sdk/client-ec2 sends it. */
function ec2Call(
  endpoint: string,
  action: string,
  params: unknown,
): Promise<{ status: number; body: string }> {
  const payload = new URLSearchParams({
    Action: action,
    Version: '2016-11-15',
    ...(params as Record<string, string>),
  }).toString();
  return post(
    endpoint,
    '/',
    {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      authorization: AUTH.replace('/appstream/', '/ec2/'),
    },
    payload,
  );
}

async function startChild(): Promise<{ child: ChildProcess; endpoint: string }> {
  const child = spawn(process.execPath, ['--expose-gc', 'bin/autopilot.mjs', 'emulator', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = /listening on (http:\/\/\S+)/.exec(d.toString());
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  return { child, endpoint };
}

/**
 * Closed loop (each connection sends its next request when the last one is answered) when
 * `rate` is undefined: maximum throughput. With `rate`, requests are paced to that many per
 * second over the same connections: latency at a given load.
 */
async function load(endpoint: string, op: string, body: unknown, rate?: number, send = api) {
  const latencies: number[] = [];
  let errors = 0;
  const start0 = performance.now();
  const end = start0 + DURATION_MS;
  let sent = 0;
  const worker = async () => {
    while (performance.now() < end) {
      if (rate) {
        const due = start0 + (sent++ / rate) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const t = performance.now();
      const res = await send(endpoint, op, body);
      latencies.push(performance.now() - t);
      if (res.status !== 200) errors++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))];
  return {
    requests: latencies.length,
    rps: latencies.length / seconds,
    p50: pct(0.5),
    p99: pct(0.99),
    errors,
  };
}

/** Runs `fn(i)` for i in [0, n) with `CONNECTIONS` in flight. */
async function parallel(n: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

/** wrk (Debian package `wrk`), when installed, loads from a separate C process: fairer figures. */
function wrk(endpoint: string, body: unknown): { rps: number; p50: string; p99: string } | undefined {
  const script = join(mkdtempSync(join(tmpdir(), 'wrk-')), 'post.lua');
  writeFileSync(
    script,
    [
      'wrk.method = "POST"',
      `wrk.body = '${JSON.stringify(body)}'`,
      'wrk.headers["Content-Type"] = "application/x-amz-json-1.1"',
      'wrk.headers["X-Amz-Target"] = "PhotonAdminProxyService.DescribeImageBuilders"',
      `wrk.headers["Authorization"] = "${AUTH}"`,
    ].join('\n'),
  );
  const out = spawnSync(
    'wrk',
    ['-t1', `-c${CONNECTIONS}`, `-d${DURATION_MS / 1000}s`, '--latency', '-s', script, `${endpoint}/`],
    {
      encoding: 'utf8',
    },
  );
  if (out.error || out.status !== 0) return undefined;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out.stdout)?.[1]);
  const p50 = /^\s+50%\s+(\S+)/m.exec(out.stdout)?.[1] ?? '?';
  const p99 = /^\s+99%\s+(\S+)/m.exec(out.stdout)?.[1] ?? '?';
  return { rps, p50, p99 };
}

const { child, endpoint } = await startChild();
try {
  const image = 'AppStream-WinServer2022-10-14-2025';
  for (let i = 0; i < 5; i++)
    await api(endpoint, 'CreateImageBuilder', {
      Name: `b${i}`,
      InstanceType: 'stream.standard.medium',
      ImageName: image,
    });
  await load(endpoint, 'DescribeImageBuilders', {}); // warm-up
  const small = await load(endpoint, 'DescribeImageBuilders', {});
  const paced = await load(endpoint, 'DescribeImageBuilders', {}, 3000);
  const wrkSmall = wrk(endpoint, {});
  // EC2 DescribeSubnets (Query protocol, XML) on the default VPC's 3 subnets.
  await load(endpoint, 'DescribeSubnets', {}, undefined, ec2Call); // warm-up
  const subnets = await load(endpoint, 'DescribeSubnets', {}, undefined, ec2Call);
  const subnetsPaced = await load(endpoint, 'DescribeSubnets', {}, 3000, ec2Call);
  const hostile = await hostileRequests(endpoint);
  const baseRss = await statsGet(endpoint);

  await control(endpoint, 'quotas', { imageBuilders: N + 10, images: N + 10, imageBuilderInstances: N + 10 });
  const t0 = performance.now();
  await parallel(N, (i) =>
    api(endpoint, 'CreateImageBuilder', {
      Name: `bulk-${i}`,
      InstanceType: 'stream.standard.medium',
      ImageName: image,
    }),
  );
  await control(endpoint, 'clock', { advanceSeconds: 3600 });
  await parallel(N, async (i) => {
    const builderName = `bulk-${i}`;
    await control(endpoint, 'image-assistant', {
      builderName,
      argv: ['add-application', '--name', 'app', '--absolute-app-path', 'C:\\app.exe'],
    });
    const out = await control(endpoint, 'image-assistant', {
      builderName,
      argv: ['create-image', '--name', `img-${i}`],
    });
    if (!out.body.includes('"status":0')) throw new Error(`create-image failed: ${out.body}`);
  });
  await control(endpoint, 'clock', { advanceSeconds: 7200 });
  const populateSeconds = (performance.now() - t0) / 1000;
  const images = JSON.parse((await api(endpoint, 'DescribeImages', { Type: 'PRIVATE', MaxResults: 1 })).body);
  if (!images.Images?.length) throw new Error('no private images were created');
  const large = await load(endpoint, 'DescribeImageBuilders', { MaxResults: 5 });
  const largePaced = await load(endpoint, 'DescribeImageBuilders', { MaxResults: 5 }, 3000);
  const fullRss = await statsGet(endpoint);

  const fmt = (r: Awaited<ReturnType<typeof load>>) =>
    `${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms (${r.requests} requests, ${r.errors} errors)`;
  console.log(`DescribeImageBuilders, ${CONNECTIONS} keep-alive connections, ${DURATION_MS / 1000} s each:`);
  console.log(`  5 builders, max throughput:            ${fmt(small)}   [goal >= 3000 req/s]`);
  console.log(`  5 builders, paced at 3000 req/s:       ${fmt(paced)}   [goal p99 < 10 ms]`);
  console.log(
    wrkSmall
      ? `  5 builders, wrk (separate process):    ${wrkSmall.rps.toFixed(0)} req/s, p50 ${wrkSmall.p50}, p99 ${wrkSmall.p99}`
      : '  (install wrk for a measurement from a separate load process)',
  );
  console.log(`EC2 DescribeSubnets (Query protocol, XML), default VPC, ${CONNECTIONS} connections:`);
  console.log(`  max throughput:                        ${fmt(subnets)}`);
  console.log(`  paced at 3000 req/s:                   ${fmt(subnetsPaced)}`);
  console.log(
    `Hostile requests (slowest of ${hostile.length}: ${hostile[0].name}): ${hostile[0].ms.toFixed(1)} ms   [goal < 50 ms]`,
  );
  console.log(`  ${hostile.map((h) => `${h.name} ${h.ms.toFixed(1)} ms`).join(', ')}`);
  console.log(`  ${N} builders (pages of 5), max:       ${fmt(large)}`);
  console.log(`  ${N} builders (pages of 5), 3000 req/s: ${fmt(largePaced)}`);
  const mem = (m: { rss: number; heap: number }) =>
    `RSS ${m.rss.toFixed(0)} MB (JS heap ${m.heap.toFixed(0)} MB)`;
  console.log(
    `Memory after GC: idle ${mem(baseRss)}; with ${N} builders + ${N} images ${mem(fullRss)}   [goal RSS <= 200 MB]`,
  );
  console.log(`  (populated through the API and the Image Assistant in ${populateSeconds.toFixed(1)} s)`);
} finally {
  child.kill('SIGTERM');
  agent.destroy();
}

/**
 * Time of each hostile request (the fastest of 3 tries, so a GC pause doesn't count), slowest
 * first: the cost of refusing them must stay linear in their size (validate.ts, protocol.ts).
 */
async function hostileRequests(endpoint: string): Promise<{ name: string; ms: number }[]> {
  const deep = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
  const Q = 'Action=DescribeVpcs&Version=2016-11-15';
  // [name, operation, body, protocol]: JSON 1.1 (AppStream) unless 'query' (EC2, form-encoded).
  const cases: [string, string, string, 'query'?][] = [
    [
      'UpdateFleet 70,000-char UsbDeviceFilterStrings item',
      'UpdateFleet',
      JSON.stringify({ Name: 'f1', UsbDeviceFilterStrings: ['a'.repeat(70_000)] }),
    ],
    ['CreateStack 1 MB Name', 'CreateStack', JSON.stringify({ Name: `s${'1'.repeat(1_000_000)}!` })],
    [
      'CreateStack 1 MB Description',
      'CreateStack',
      JSON.stringify({ Name: 's1', Description: 'd'.repeat(1_000_000) }),
    ],
    [
      'UpdateFleet 20,000 filter strings',
      'UpdateFleet',
      JSON.stringify({ Name: 'f1', UsbDeviceFilterStrings: Array(20_000).fill('a,'.repeat(45)) }),
    ],
    ['CreateStack 20,000-deep unknown member', 'CreateStack', `{"Name":"s1","Evil":${deep(20_000)}}`],
    [
      'CreateStack 2 MB of nesting',
      'CreateStack',
      `{"Name":"s1","Evil":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`,
    ],
    [
      'CreateStack 1.9 MB body of unknown members',
      'CreateStack',
      JSON.stringify({ Name: 's1', Evil: Array(200_000).fill('xxxxx') }),
    ],
    // EC2 Query protocol (emulator/query/parse.ts walks names along the model, MAX_PARAMS, MAX_LIST_INDEX).
    ['EC2 1.8 MB name of 900,000 parts', 'DescribeVpcs', `${Q}&${'a.'.repeat(900_000)}b=1`, 'query'],
    [
      'EC2 VpcId.1..130,000 (1.9 MB)',
      'DescribeVpcs',
      `${Q}&${Array.from({ length: 130_000 }, (_, i) => `VpcId.${i + 1}=vpc-1`).join('&')}`.slice(
        0,
        1_900_000,
      ),
      'query',
    ],
    ['EC2 600,000 empty parameters', 'DescribeVpcs', `${Q}&${'a=&'.repeat(600_000)}`, 'query'],
    [
      'EC2 1 MB wildcard filter value',
      'DescribeSubnets',
      `Action=DescribeSubnets&Version=2016-11-15&Filter.1.Name=tag:Name&Filter.1.Value.1=${'*a'.repeat(500_000)}`,
      'query',
    ],
    ['EC2 1.9 MB Action', 'DescribeVpcs', `Action=${'A'.repeat(1_900_000)}&Version=2016-11-15`, 'query'],
  ];
  const out: { name: string; ms: number }[] = [];
  for (const [name, op, body, protocol] of cases) {
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const res = await rawApi(endpoint, op, body, protocol === 'query');
      best = Math.min(best, performance.now() - t);
      if (res.status >= 500) throw new Error(`${name}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
    }
    out.push({ name, ms: best });
  }
  return out.sort((a, b) => b.ms - a.ms);
}

function rawApi(
  endpoint: string,
  op: string,
  payload: string,
  query = false,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL('/', endpoint),
      {
        method: 'POST',
        agent,
        headers: query
          ? {
              'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
              'content-length': Buffer.byteLength(payload),
              authorization: AUTH.replace('/appstream/', '/ec2/'),
            }
          : {
              'content-type': 'application/x-amz-json-1.1',
              'content-length': Buffer.byteLength(payload),
              'x-amz-target': `PhotonAdminProxyService.${op}`,
              authorization: AUTH,
            },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function statsGet(endpoint: string): Promise<{ rss: number; heap: number }> {
  return new Promise((resolve, reject) => {
    request(new URL('/_emulator/stats', endpoint), { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const { rss, heapUsed } = JSON.parse(Buffer.concat(chunks).toString()).memory;
        resolve({ rss: rss / 2 ** 20, heap: heapUsed / 2 ** 20 });
      });
    })
      .on('error', reject)
      .end();
  });
}
