/**
 * Signed webhooks (README "Webhooks API"): what a client sends and what the API checks.
 *
 * - Ours: `X-Autopilot-Timestamp: <unix seconds>` and `X-Autopilot-Signature: sha256=<hex>`, the
 *   hex HMAC-SHA256 with the shared secret of `<timestamp>.<METHOD>.<path>.<raw body>` (the exact
 *   bytes sent; METHOD upper-case; path without the query string, as API Gateway passes it in
 *   `requestContext.http.path`, e.g. `/hooks/pipelines/office-apps/runs`). The timestamp makes a
 *   captured request useless after the window; the method and path make a signature for one
 *   pipeline useless for another (the body alone doesn't name the pipeline).
 * - GitHub's: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>` ("Validating
 *   webhook deliveries", docs.github.com). GitHub signs no timestamp and not `X-GitHub-Delivery`:
 *   replays are deduplicated on the signed body instead (repository and release ids, lib/api/app.ts).
 *
 * Comparisons are constant-time (crypto.timingSafeEqual) over buffers of equal length: a
 * signature of the wrong length or not hex is refused before any comparison.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'x-autopilot-timestamp';
export const SIGNATURE_HEADER = 'x-autopilot-signature';
export const GITHUB_SIGNATURE_HEADER = 'x-hub-signature-256';
/** How far a request's timestamp may be from the API's clock, either way (seconds). */
export const REPLAY_WINDOW_SECONDS = 300;

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

type Body = string | Uint8Array;

const hmacHex = (secret: string, ...parts: Body[]) => {
  const mac = createHmac('sha256', secret);
  for (const p of parts) mac.update(p);
  return mac.digest('hex');
};

/** What a signature covers besides the timestamp. */
export interface SignedRequest {
  /** The HTTP method (`POST`); compared upper-case. */
  method: string;
  /** The request path without query string: `/hooks/pipelines/office-apps/runs`. */
  path: string;
  /** Exactly the bytes of the body sent. */
  body: Body;
}

/** The hex HMAC of `<timestamp>.<METHOD>.<path>.<raw body>`. */
const requestHmac = (secret: string, ts: string, req: SignedRequest) =>
  hmacHex(secret, `${ts}.${req.method.toUpperCase()}.${req.path}.`, req.body);

/**
 * The headers that sign a request (`method`, `path`, `body`: exactly the bytes you send) at
 * `timestamp` (unix seconds, default now): `{ 'X-Autopilot-Timestamp', 'X-Autopilot-Signature' }`.
 */
export function signHmac(
  secret: string,
  request: SignedRequest & { timestamp?: number },
): Record<string, string> {
  const ts = String(Math.floor(request.timestamp ?? Date.now() / 1000));
  return {
    'X-Autopilot-Timestamp': ts,
    'X-Autopilot-Signature': `sha256=${requestHmac(secret, ts, request)}`,
  };
}

/** GitHub's `X-Hub-Signature-256` header for `body` (tests, and a client that wants to look like GitHub). */
export function signGithub(secret: string, body: Body): Record<string, string> {
  return { 'X-Hub-Signature-256': `sha256=${hmacHex(secret, body)}` };
}

/** Constant-time equality of a `sha256=<hex>` header with the expected hex digest. */
function matches(header: string, expectedHex: string): boolean {
  const m = SIGNATURE.exec(header.trim());
  if (!m) return false;
  const given = Buffer.from(m[1].toLowerCase(), 'hex');
  const expected = Buffer.from(expectedHex, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export type Verdict =
  | { ok: true }
  | { ok: false; reason: 'unsigned' | 'bad-signature' | 'bad-timestamp' | 'outside-window' };

/**
 * Checks our signature over `<timestamp>.<METHOD>.<path>.<raw body>`, then the timestamp's window
 * (a stale but correctly signed request is a replay; a bad signature says nothing about the window).
 */
export function verifyHmac(
  secret: string,
  request: SignedRequest,
  headers: { timestamp?: string; signature?: string },
  nowMs: number,
): Verdict {
  if (!headers.timestamp || !headers.signature) return { ok: false, reason: 'unsigned' };
  const ts = headers.timestamp.trim();
  if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: 'bad-timestamp' };
  if (!matches(headers.signature, requestHmac(secret, ts, request)))
    return { ok: false, reason: 'bad-signature' };
  if (Math.abs(nowMs / 1000 - Number(ts)) > REPLAY_WINDOW_SECONDS)
    return { ok: false, reason: 'outside-window' };
  return { ok: true };
}

/** Checks GitHub's `X-Hub-Signature-256` over the raw body. */
export function verifyGithub(secret: string, body: Body, signature: string | undefined): Verdict {
  if (!signature) return { ok: false, reason: 'unsigned' };
  return matches(signature, hmacHex(secret, body)) ? { ok: true } : { ok: false, reason: 'bad-signature' };
}
