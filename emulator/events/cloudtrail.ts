import { createHash, randomUUID } from 'node:crypto';
import type { ServiceModel, Shape } from '../model';
import type { EventEnvelope } from './log';

/**
 * CloudTrail-shaped events, as EventBridge delivers them ("AWS API Call via CloudTrail").
 * Sources for every field are in emulator/README.md, "CloudTrail events".
 */

/** Record format version: every field written here exists by 1.08 (eventCategory 1.07, sessionCredentialFromConsole 1.08). */
export const CLOUDTRAIL_EVENT_VERSION = '1.08';
export const API_CALL_DETAIL_TYPE = 'AWS API Call via CloudTrail';
/** What CloudTrail writes in place of a value it does not log. */
export const HIDDEN = 'HIDDEN_DUE_TO_SECURITY_REASONS';
/**
 * The AppStream 2.0 console calls the API from the browser: the Developer Guide's example
 * CloudTrail entry (AssociateFleet, "Example: AppStream 2.0 Log File Entries") shows the
 * browser's user agent. The emulator's console "connect" uses this one.
 */
export const CONSOLE_USER_AGENT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** Services whose calls become events: signing name → EventBridge source and CloudTrail eventSource. */
const EVENT_SOURCES: Readonly<Record<string, { source: string; eventSource: string }>> = {
  appstream: { source: 'aws.appstream', eventSource: 'appstream.amazonaws.com' },
};

/**
 * Read-only calls are not emitted. EventBridge rules in their default state match every
 * CloudTrail management event except read-only ones whose names start with Describe, Get or List
 * ("Receiving read-only management events from AWS services"); AppStream's other operations
 * (Create*, Update*, Delete*, Start*, Stop*, Associate*, Tag*, ExpireSession, ...) are write
 * actions in IAM's Service Authorization Reference, CreateImageBuilderStreamingURL and
 * CreateStreamingURL included, so their records carry `readOnly: false`.
 */
export const isReadOnly = (operation: string): boolean => /^(Describe|Get|List)/.test(operation);

/** CloudTrail's userIdentity element (CloudTrail User Guide, "CloudTrail userIdentity element"). */
export interface UserIdentity {
  type: 'Root' | 'IAMUser' | 'AssumedRole';
  principalId: string;
  arn: string;
  accountId: string;
  accessKeyId?: string;
  userName?: string;
  sessionContext?: {
    sessionIssuer: { type: 'Role'; principalId: string; arn: string; accountId: string; userName: string };
    attributes: { creationDate: string; mfaAuthenticated: 'false' };
  };
}

/** What the world knows of an access key STS issued (world.ts IssuedKey). */
export interface IssuedKeyInfo {
  account: string;
  arn: string;
  userId: string;
  roleArn?: string;
  /** Virtual epoch ms AssumeRole issued the key (absent in older state files). */
  issuedAt?: number;
  /** Virtual epoch ms the key expires. */
  expiration?: number;
}

/** AssumeRole's default DurationSeconds, in ms. */
const DEFAULT_SESSION_MS = 3_600_000;

/**
 * When a key was issued: its issuedAt; for keys saved before issuedAt was kept, its expiration
 * less AssumeRole's default duration (a fixed time, so every event of the session shows the same
 * creationDate), or the epoch when even that is unknown.
 */
const issuedAtOf = (issued: IssuedKeyInfo): number =>
  issued.issuedAt ?? (issued.expiration === undefined ? 0 : issued.expiration - DEFAULT_SESSION_MS);

const LONG_TERM_KEY = /^AKIA(\d{12})([A-Z0-9]{4})$/;
const ASSUMED_ROLE_ARN = /^arn:aws:sts::(\d{12}):assumed-role\/([\w+=,.@-]{1,64})\/([\w+=,.@-]{2,64})$/;
const USER_ARN = /^arn:aws:iam::(\d{12}):user\/((?:[\w+=,.@-]+\/)*)([\w+=,.@-]{1,64})$/;
const ROOT_ARN = /^arn:aws:iam::(\d{12}):root$/;

/** Stable upper-case id characters derived from `text` (AIDA…/AROA… principal ids). */
function idCode(text: string, length = 17): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = createHash('sha256').update(text).digest();
  let out = '';
  for (let i = 0; out.length < length; i++) out += alphabet[bytes[i % bytes.length] % alphabet.length];
  return out;
}

/** ISO 8601 UTC to the second, as CloudTrail writes eventTime ("2019-03-12T06:58:09Z"). */
export const isoSeconds = (ms: number): string =>
  `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;

/** The role ARN an assumed-role ARN came from (without its path, which the session ARN drops). */
const roleArnOf = (assumedArn: string): string | undefined => {
  const m = ASSUMED_ROLE_ARN.exec(assumedArn);
  return m ? `arn:aws:iam::${m[1]}:role/${m[2]}` : undefined;
};

function assumedRole(
  issued: IssuedKeyInfo,
  accessKeyId: string | undefined,
  creationMs: number,
): UserIdentity {
  const roleArn = issued.roleArn ?? roleArnOf(issued.arn) ?? issued.arn;
  const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
  return {
    type: 'AssumedRole',
    principalId: issued.userId,
    arn: issued.arn,
    accountId: issued.account,
    ...(accessKeyId ? { accessKeyId } : {}),
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: issued.userId.split(':')[0],
        arn: roleArn,
        accountId: issued.account,
        userName: roleName,
      },
      attributes: { creationDate: isoSeconds(creationMs), mfaAuthenticated: 'false' },
    },
  };
}

const root = (account: string, accessKeyId?: string): UserIdentity => ({
  type: 'Root',
  principalId: account,
  arn: `arn:aws:iam::${account}:root`,
  accountId: account,
  ...(accessKeyId ? { accessKeyId } : {}),
});

const iamUser = (account: string, path: string, name: string, accessKeyId?: string): UserIdentity => {
  const arn = `arn:aws:iam::${account}:user/${path}${name}`;
  return {
    type: 'IAMUser',
    principalId: `AIDA${idCode(`user:${arn}`)}`,
    arn,
    accountId: account,
    ...(accessKeyId ? { accessKeyId } : {}),
    userName: name,
  };
};

/**
 * Who a caller is, from the access key it signed with (the emulator's convention, shared by
 * STS GetCallerIdentity; emulator/README.md "Accounts and regions"):
 * - a key STS issued (`ASIA…`) → AssumedRole, the role and session name AssumeRole was given;
 * - `AKIA` + 12 digits + 4 characters → IAMUser `user-<those 4 characters>` of that account;
 * - a 12-digit key, or anything else → Root of the account (as GetCallerIdentity has always said).
 */
export function identityOf(
  accessKeyId: string,
  account: string,
  issued: IssuedKeyInfo | undefined,
): UserIdentity {
  if (issued) return assumedRole(issued, accessKeyId, issuedAtOf(issued));
  const m = LONG_TERM_KEY.exec(accessKeyId);
  if (m) return iamUser(m[1], '', `user-${m[2]}`, accessKeyId);
  return root(account, accessKeyId);
}

/**
 * The identity of a principal named by its ARN (the control API's console connect):
 * `arn:aws:iam::<acct>:user/<name>`, `arn:aws:sts::<acct>:assumed-role/<role>/<session>` or
 * `arn:aws:iam::<acct>:root`; undefined for anything else.
 */
export function identityFromArn(arn: string, now: number): UserIdentity | undefined {
  let m = USER_ARN.exec(arn);
  if (m) return iamUser(m[1], m[2], m[3]);
  m = ASSUMED_ROLE_ARN.exec(arn);
  if (m) {
    const roleArn = `arn:aws:iam::${m[1]}:role/${m[2]}`;
    return assumedRole(
      { account: m[1], arn, userId: `AROA${idCode(`role:${roleArn}`)}:${m[3]}`, roleArn },
      undefined,
      now,
    );
  }
  m = ROOT_ARN.exec(arn);
  return m ? root(m[1]) : undefined;
}

export const PRINCIPAL_ARN =
  /^arn:aws:(?:iam::\d{12}:(?:root|user\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64})|sts::\d{12}:assumed-role\/[\w+=,.@-]{1,64}\/[\w+=,.@-]{2,64})$/;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A timestamp in responseElements as CloudTrail writes it for JSON services ("Jul 9, 2018
 * 12:56:54 PM", the MediaStore CreateContainer example in its developer guide), in UTC.
 */
export function trailTimestamp(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const h = d.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()} ${h % 12 || 12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}

/** Response members never written to the log: a streaming URL is a bearer credential. */
const HIDDEN_MEMBERS = new Set(['StreamingURL']);

/**
 * A request or response as CloudTrail records it: member names with a lower-case first letter
 * ("FleetName" → "fleetName", "Arn" → "arn", as the AppStream and MediaStore examples show),
 * values of shapes the model marks `sensitive` hidden, map keys (tags) kept as they are,
 * timestamps as trailTimestamp. Walks the model, so only the model's members appear.
 */
export function toTrail(model: ServiceModel, shapeName: string | undefined, value: unknown): unknown {
  const shape: Shape | undefined = shapeName ? model.shapes[shapeName] : undefined;
  if (!shape || value === undefined || value === null) return value;
  if (shape.sensitive) return HIDDEN;
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) return value;
      const out: Record<string, unknown> = {};
      for (const [name, member] of Object.entries(shape.members ?? {})) {
        if (!Object.hasOwn(value, name)) continue;
        const v = (value as Record<string, unknown>)[name];
        if (v === undefined) continue;
        out[name.charAt(0).toLowerCase() + name.slice(1)] = HIDDEN_MEMBERS.has(name)
          ? HIDDEN
          : toTrail(model, member.shape, v);
      }
      return out;
    }
    case 'list':
      return Array.isArray(value) ? value.map((v) => toTrail(model, shape.member?.shape, v)) : value;
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) return value;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value))
        Object.defineProperty(out, key, {
          value: toTrail(model, shape.value?.shape, (value as Record<string, unknown>)[key]),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      return out;
    }
    case 'timestamp':
      return typeof value === 'number' ? trailTimestamp(value) : value;
    default:
      return value;
  }
}

const emptyToNull = (v: unknown) =>
  v === undefined || (typeof v === 'object' && v !== null && Object.keys(v).length === 0) ? null : v;

export interface ApiCallFacts {
  /** Signing name of the service called (EVENT_SOURCES key). */
  service: string;
  model: ServiceModel;
  operation: string;
  account: string;
  region: string;
  /** Virtual epoch ms of the call. */
  now: number;
  identity: UserIdentity;
  requestId: string;
  sourceIp: string;
  userAgent: string;
  /** The validated input (undefined: the request was refused before it was understood). */
  input?: Record<string, unknown>;
  /** The output on success. */
  output?: Record<string, unknown>;
  error?: { code: string; message: string };
  /** The call came from a console session (sessionCredentialFromConsole). */
  console?: boolean;
}

/** The EventBridge envelope of one API call's CloudTrail record. */
export function apiCallEnvelope(f: ApiCallFacts): EventEnvelope {
  const op = f.model.operations[f.operation];
  const time = isoSeconds(f.now);
  const source = EVENT_SOURCES[f.service];
  const detail: Record<string, unknown> = {
    eventVersion: CLOUDTRAIL_EVENT_VERSION,
    userIdentity: f.identity,
    eventTime: time,
    eventSource: source.eventSource,
    eventName: f.operation,
    awsRegion: f.region,
    sourceIPAddress: f.sourceIp,
    userAgent: f.userAgent,
    ...(f.error ? { errorCode: f.error.code, errorMessage: f.error.message } : {}),
    requestParameters:
      f.input === undefined ? null : emptyToNull(toTrail(f.model, op?.input?.shape, f.input)),
    responseElements:
      f.error || f.output === undefined ? null : emptyToNull(toTrail(f.model, op?.output?.shape, f.output)),
    requestID: f.requestId,
    eventID: randomUUID(),
    readOnly: isReadOnly(f.operation),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: f.account,
    eventCategory: 'Management',
    ...(f.console ? { sessionCredentialFromConsole: 'true' } : {}),
  };
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': API_CALL_DETAIL_TYPE,
    source: source.source,
    account: f.account,
    time,
    region: f.region,
    resources: [],
    detail,
  };
}

/** Whether a call to this service and operation becomes an event. */
export const emitsEvent = (service: string | undefined, operation: string): boolean =>
  service !== undefined && Object.hasOwn(EVENT_SOURCES, service) && !isReadOnly(operation);
