import { ServiceError } from '../errors';
import type { QueryMember, QueryModel, QueryShape } from './model';

/** One node of the dotted parameter names of a request (`Filter.1.Value.2` → Filter → 1 → Value → 2). */
export interface Node {
  value?: string;
  children?: Map<string, Node>;
}

/**
 * Limits of a Query request, checked while it is read (so refusing a hostile one costs at most a
 * pass over its body):
 * - MAX_PARAMS parameters in all (AWS front ends refuse requests far smaller than our 2 MiB body
 *   limit allows; 10,000 is well above anything an SDK sends for the subset);
 * - MAX_LIST_INDEX items in one list: EC2 limits what a caller can list per call (e.g. DescribeVpcs
 *   "VpcIds: up to 200", filter values "up to 200 values per filter" in the EC2 API Reference's
 *   Filter topics), 1000 covers every documented limit of the subset.
 * A parameter name is walked only as far as the model's shapes go: undeclared top-level names are
 * skipped before anything is built, and a name goes no deeper than its shape's depth.
 */
export const MAX_PARAMS = 10_000;
export const MAX_LIST_INDEX = 1000;

const INDEX = /^[1-9]\d{0,3}$/;

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** EC2's error for a parameter it doesn't recognise (EC2 API Reference, "Error codes": UnknownParameter). */
const unknownParameter = (name: string, ec2: boolean) =>
  new ServiceError(
    ec2 ? 'UnknownParameter' : 'InvalidParameterValue',
    `The parameter ${name.length > 256 ? `${name.slice(0, 256)}...` : name} is not recognized`,
  );

/** Children of a list node (their names are checked 1-based indexes), in index order. */
function items(node: Node | undefined): Node[] {
  if (!node?.children) return [];
  const out: [number, Node][] = [];
  for (const [k, v] of node.children) if (INDEX.test(k)) out.push([Number(k), v]);
  return out.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

/** `+` and %-escapes as forms encode them; a malformed escape is kept as typed (as URLSearchParams does). */
function decode(s: string): string {
  const plus = s.includes('+') ? s.replace(/\+/g, ' ') : s;
  if (!plus.includes('%')) return plus;
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
  }
}

/**
 * The parameters of a form-encoded body, in order: one linear pass that stops at MAX_PARAMS
 * (HTTP 400 past it). Names and values are decoded; empty segments (`a&&b`) are skipped.
 */
export function formParams(body: string, ec2 = true): [string, string][] {
  const out: [string, string][] = [];
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf('&', start);
    if (end < 0) end = body.length;
    if (end > start) {
      if (out.length >= MAX_PARAMS)
        throw new ServiceError(
          ec2 ? 'InvalidParameterValue' : 'ValidationError',
          `The request has more than ${MAX_PARAMS} parameters.`,
        );
      const eq = body.indexOf('=', start);
      const cut = eq >= 0 && eq < end ? eq : end;
      out.push([decode(body.slice(start, cut)), cut < end ? decode(body.slice(cut + 1, end)) : '']);
    }
    start = end + 1;
  }
  return out;
}

/** The first value of `name` among `params`. */
export function paramOf(params: [string, string][], name: string): string | undefined {
  for (const [k, v] of params) if (k === name) return v;
  return undefined;
}

/** A structure's members by wire name (own-property safe: a Map). */
type WireMap = Map<string, [string, QueryMember]>;

/**
 * Turns the parameters of a Query (`query`) or EC2 (`ec2`) protocol request into the operation's
 * input object, keyed by the model's member names (as the JSON handlers use them):
 * - EC2: a member's wire name is its queryName, else its locationName capitalised, else its name;
 *   lists are always flattened: `Filter.1.Value.1` (Amazon EC2 query protocol serialization).
 * - Query: the member name; lists `Name.member.N` (the member's locationName, flattened lists
 *   `Name.N`), maps `Name.entry.N.key` / `.value`.
 * Scalars are coerced to the model's types; parameters the model doesn't declare are dropped.
 * List indexes are 1-based (as the SDKs' serializers write them): `Filter.0.Name` or
 * `Filter.abc.Name` is refused (EC2 `UnknownParameter`) rather than silently dropped, which would
 * widen a Describe call's results.
 */
export class QueryParser {
  private readonly wires = new Map<string, WireMap>();

  constructor(private readonly model: QueryModel) {}

  private get ec2(): boolean {
    return this.model.metadata.protocol === 'ec2';
  }

  wireName(name: string, member: QueryMember): string {
    if (!this.ec2) return member.locationName ?? name;
    if (member.queryName) return member.queryName;
    if (member.locationName) return capitalise(member.locationName);
    return name;
  }

  private wireMap(shapeName: string): WireMap {
    let map = this.wires.get(shapeName);
    if (!map) {
      map = new Map();
      for (const [name, member] of Object.entries(this.model.shapes[shapeName]?.members ?? {}))
        map.set(this.wireName(name, member), [name, member]);
      this.wires.set(shapeName, map);
    }
    return map;
  }

  /**
   * Builds the tree of an operation's parameters, walking each name only along the model's
   * shapes: an undeclared name (at any level) is dropped at the first part the model doesn't
   * know, before anything is built for it, so the cost is linear in the body and bounded by the
   * shapes' depth per name.
   */
  tree(operation: string, params: [string, string][]): Node {
    const root: Node = {};
    const shapeName = Object.hasOwn(this.model.operations, operation)
      ? this.model.operations[operation].input?.shape
      : undefined;
    if (!shapeName) return root;
    for (const [name, value] of params) this.place(root, shapeName, name, value);
    return root;
  }

  private place(root: Node, inputShape: string, name: string, value: string): void {
    let pos = 0;
    /** The next dotted part of `name` (undefined once consumed). */
    const next = (): string | undefined => {
      if (pos > name.length) return undefined;
      let end = name.indexOf('.', pos);
      if (end < 0) end = name.length;
      const part = name.slice(pos, end);
      pos = end + 1;
      return part;
    };
    const child = (node: Node, key: string): Node => {
      node.children ??= new Map();
      let c = node.children.get(key);
      if (!c) {
        c = {};
        node.children.set(key, c);
      }
      return c;
    };
    const index = (part: string | undefined): string => {
      if (part === undefined || !INDEX.test(part)) {
        if (part !== undefined && /^\d+$/.test(part) && part !== '0' && !part.startsWith('0'))
          throw new ServiceError(
            this.ec2 ? 'InvalidParameterValue' : 'ValidationError',
            `Value (${part.length > 16 ? `${part.slice(0, 16)}...` : part}) for parameter ${name.slice(0, 256)} is invalid. A list can have at most ${MAX_LIST_INDEX} items.`,
          );
        throw unknownParameter(name, this.ec2);
      }
      if (Number(part) > MAX_LIST_INDEX)
        throw new ServiceError(
          this.ec2 ? 'InvalidParameterValue' : 'ValidationError',
          `Value (${part}) for parameter ${name.slice(0, 256)} is invalid. A list can have at most ${MAX_LIST_INDEX} items.`,
        );
      return part;
    };
    let node = root;
    let shapeName = inputShape;
    let part = next();
    while (part !== undefined) {
      // A structure: the part must be one of its members' wire names.
      const entry = this.wireMap(shapeName).get(part);
      if (!entry) return;
      node = child(node, part);
      let member = entry[1];
      // Lists and maps consume their index parts; then continue with the item's shape.
      for (;;) {
        const shape = this.model.shapes[member.shape];
        if (shape.type === 'list') {
          let p = next();
          if (p === undefined) {
            node.value = value;
            return;
          }
          if (!(this.ec2 || member.flattened || shape.flattened)) {
            if (p !== (shape.member?.locationName ?? 'member')) return;
            node = child(node, p);
            p = next();
            if (p === undefined) return;
          }
          node = child(node, index(p));
          member = shape.member as QueryMember;
          continue;
        }
        if (shape.type === 'map') {
          let p = next();
          if (p === undefined) return;
          if (!(shape.flattened || member.flattened)) {
            if (p !== 'entry') return;
            node = child(node, p);
            p = next();
            if (p === undefined) return;
          }
          node = child(node, index(p));
          const kv = next();
          const keyName = shape.key?.locationName ?? 'key';
          const valueName = shape.value?.locationName ?? 'value';
          if (kv === keyName) {
            if (pos <= name.length) return;
            child(node, kv).value = value;
            return;
          }
          if (kv !== valueName) return;
          node = child(node, kv);
          member = shape.value as QueryMember;
          continue;
        }
        if (shape.type === 'structure') {
          shapeName = member.shape;
          break;
        }
        // A scalar ends the name; anything deeper is undeclared.
        if (pos <= name.length) return;
        node.value = value;
        return;
      }
      part = next();
      if (part === undefined) return;
    }
  }

  parse(operation: string, root: Node): Record<string, unknown> {
    const shapeName = Object.hasOwn(this.model.operations, operation)
      ? this.model.operations[operation].input?.shape
      : undefined;
    if (!shapeName) return {};
    return this.structure(this.model.shapes[shapeName], root, '') as Record<string, unknown>;
  }

  private structure(shape: QueryShape, node: Node, path: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (!node.children) return out;
    for (const [name, member] of Object.entries(shape.members ?? {})) {
      const wire = this.wireName(name, member);
      const child = node.children.get(wire);
      if (!child) continue;
      const value = this.value(member, child, `${path}${wire}`);
      if (value !== undefined) out[name] = value;
    }
    return out;
  }

  private value(member: QueryMember, node: Node, path: string): unknown {
    const shape = this.model.shapes[member.shape];
    switch (shape.type) {
      case 'structure':
        return this.structure(shape, node, `${path}.`);
      case 'list': {
        if (node.value === '' && !node.children) return [];
        const flat = this.ec2 || member.flattened || shape.flattened;
        const holder = flat ? node : node.children?.get(shape.member?.locationName ?? 'member');
        const itemMember = shape.member as QueryMember;
        // An item whose only parts were undeclared (`VpcId.1.x=…`) has no value: left out.
        const list = items(holder)
          .map((item, i) => this.value(itemMember, item, `${path}.${i + 1}`))
          .filter((v) => v !== undefined);
        return list.length > 0 ? list : undefined;
      }
      case 'map': {
        const flat = shape.flattened || member.flattened;
        const holder = flat ? node : node.children?.get('entry');
        const out: Record<string, unknown> = Object.create(null);
        for (const entry of items(holder)) {
          const k = entry.children?.get(shape.key?.locationName ?? 'key')?.value;
          const v = entry.children?.get(shape.value?.locationName ?? 'value');
          if (k !== undefined && v) out[k] = this.value(shape.value as QueryMember, v, `${path}.${k}`);
        }
        return out;
      }
      default:
        if (node.value === undefined) return undefined;
        return this.scalar(shape, node.value, path);
    }
  }

  private scalar(shape: QueryShape, raw: string, path: string): unknown {
    switch (shape.type) {
      case 'integer':
      case 'long': {
        if (!/^[-+]?\d{1,15}$/.test(raw.trim())) throw this.invalid(raw, path, 'an integer');
        return Number(raw);
      }
      case 'double':
      case 'float': {
        const n = Number(raw);
        if (raw.trim() === '' || !Number.isFinite(n)) throw this.invalid(raw, path, 'a number');
        return n;
      }
      case 'boolean': {
        const v = raw.toLowerCase();
        if (v !== 'true' && v !== 'false') throw this.invalid(raw, path, 'a boolean (true or false)');
        return v === 'true';
      }
      case 'timestamp': {
        const ms = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) * 1000 : Date.parse(raw);
        if (!Number.isFinite(ms)) throw this.invalid(raw, path, 'an ISO 8601 timestamp');
        return ms / 1000;
      }
      default:
        return raw;
    }
  }

  private invalid(raw: string, path: string, expected: string): ServiceError {
    const shown = raw.length > 64 ? `${raw.slice(0, 64)}...` : raw;
    // AWS common errors: InvalidParameterValue, "An invalid or out-of-range value was supplied".
    return new ServiceError(
      'InvalidParameterValue',
      `Value (${shown}) for parameter ${path} is invalid. Expected ${expected}.`,
    );
  }

  /** Required members missing at the top level (EC2: `MissingParameter`). */
  missingRequired(operation: string, input: Record<string, unknown>): string | undefined {
    const shapeName = this.model.operations[operation]?.input?.shape;
    if (!shapeName) return undefined;
    const shape = this.model.shapes[shapeName];
    for (const name of shape.required ?? [])
      if (input[name] === undefined) return this.wireName(name, shape.members?.[name] ?? { shape: '' });
    return undefined;
  }
}
