import { ServiceError } from '../errors';
import type { QueryMember, QueryModel, QueryShape } from './model';

/** One node of the dotted parameter names of a request (`Filter.1.Value.2` → Filter → 1 → Value → 2). */
interface Node {
  value?: string;
  children?: Map<string, Node>;
}

/** Splits a form-encoded body into a tree of dotted names (linear in the body's size). */
export function paramTree(body: string): { root: Node; params: URLSearchParams } {
  const params = new URLSearchParams(body);
  const root: Node = {};
  for (const [name, value] of params) {
    let node = root;
    for (const part of name.split('.')) {
      node.children ??= new Map();
      let next = node.children.get(part);
      if (!next) {
        next = {};
        node.children.set(part, next);
      }
      node = next;
    }
    node.value = value;
  }
  return { root, params };
}

/** Children of a list node with 1-based numeric names, in index order. */
function items(node: Node | undefined): Node[] {
  if (!node?.children) return [];
  const out: [number, Node][] = [];
  for (const [k, v] of node.children) if (/^[1-9]\d{0,8}$/.test(k)) out.push([Number(k), v]);
  return out.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * Turns the parameters of a Query (`query`) or EC2 (`ec2`) protocol request into the operation's
 * input object, keyed by the model's member names (as the JSON handlers use them):
 * - EC2: a member's wire name is its queryName, else its locationName capitalised, else its name;
 *   lists are always flattened: `Filter.1.Value.1` (Amazon EC2 query protocol serialization).
 * - Query: the member name; lists `Name.member.N` (the member's locationName, flattened lists
 *   `Name.N`), maps `Name.entry.N.key` / `.value`.
 * Scalars are coerced to the model's types; parameters the model doesn't declare are dropped.
 */
export class QueryParser {
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

  parse(operation: string, root: Node): Record<string, unknown> {
    const shapeName = this.model.operations[operation]?.input?.shape;
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
        return items(holder).map((item, i) => this.value(itemMember, item, `${path}.${i + 1}`));
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
