import fc from 'fast-check';
import type { ServiceModel } from '../../emulator/model';
import { WIN2022 } from './emulator';

/** Values that hit real resources now and then, so fuzzing reaches past "not found". */
const LIKELY_STRINGS = ['b1', 'f1', 's1', 'img1', WIN2022, 'stream.standard.medium', 'a@example.com'];

/**
 * An arbitrary request for a shape of the model: mostly well-typed values (so handlers run),
 * with required members sometimes missing and constraint-breaking sizes and numbers.
 */
export function requestArbitrary(model: ServiceModel, shapeName: string, depth = 0): fc.Arbitrary<unknown> {
  const shape = model.shapes[shapeName];
  switch (shape.type) {
    case 'structure': {
      if (depth > 4) return fc.constant({});
      const members = Object.fromEntries(
        Object.entries(shape.members ?? {}).map(([k, m]) => [k, requestArbitrary(model, m.shape, depth + 1)]),
      );
      return fc.oneof(
        { weight: 4, arbitrary: fc.record(members, { requiredKeys: shape.required ?? [] }) },
        { weight: 1, arbitrary: fc.record(members, { requiredKeys: [] }) },
      );
    }
    case 'list':
      return fc.array(requestArbitrary(model, shape.member!.shape, depth + 1), {
        minLength: fc.sample(fc.constantFrom(0, shape.min ?? 0), 1)[0],
        maxLength: Math.max(shape.min ?? 0, 3),
      });
    case 'map':
      return fc.dictionary(
        fc.string({ maxLength: 8 }),
        requestArbitrary(model, shape.value!.shape, depth + 1),
        {
          maxKeys: 3,
        },
      );
    case 'string':
      return shape.enum
        ? fc.oneof(
            { weight: 5, arbitrary: fc.constantFrom(...shape.enum) },
            { weight: 1, arbitrary: fc.string() },
          )
        : fc.oneof(
            { weight: 6, arbitrary: fc.constantFrom(...LIKELY_STRINGS) },
            { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
            { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 10 }) },
          );
    case 'integer':
    case 'long':
      return fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: shape.min ?? 1, max: shape.max ?? 100 }) },
        { weight: 1, arbitrary: fc.constantFrom(-1, 0, 26, 501, 604801, 2 ** 31) },
      );
    case 'boolean':
      return fc.boolean();
    case 'timestamp':
      return fc.integer({ min: 0, max: 2 ** 31 });
    default:
      return fc.anything();
  }
}

/** Names that reach Object.prototype when a lookup isn't restricted to own keys. */
export const PROTOTYPE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
];

/** `{"a": {"a": ... 1}}` or `[[...[]]]`, `depth` levels deep. */
function nested(depth: number, asArray: boolean): unknown {
  let v: unknown = asArray ? [] : 1;
  for (let i = 0; i < depth; i++) v = asArray ? [v] : { a: v };
  return v;
}

/** A JSON object with one own key (prototype names included: `__proto__` stays an own key). */
function objectWith(key: string, value: unknown): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  return o;
}

/**
 * A hostile JSON value: deep nesting (past AWS's 1000 levels and below it), huge strings and
 * lists, prototype keys, wrong types, unicode (lone surrogates, combining marks, RTL), nulls.
 */
export function hostileValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.tuple(fc.integer({ min: 50, max: 3000 }), fc.boolean()).map(([d, a]) => nested(d, a)),
    fc
      .tuple(fc.integer({ min: 1_000, max: 300_000 }), fc.constantFrom('a', 'a,', '\u0000', 'é', '😀', ' '))
      .map(([n, c]) => c.repeat(Math.ceil(n / c.length))),
    fc.integer({ min: 100, max: 20_000 }).map((n) => Array.from({ length: n }, () => 'x')),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.constantFrom('\uD800', '\uDFFF', 'a\u0301', '\u202Eevil', 'aws:x', '*', '', ' '),
    fc.constantFrom(null, true, false, 0, -1, -3, 1.5, 1e308, -1e308, 2 ** 53, [], {}, [null], { x: null }),
    fc
      .tuple(fc.constantFrom(...PROTOTYPE_KEYS), fc.jsonValue({ maxDepth: 2 }))
      .map(([k, v]) => objectWith(k, v)),
    fc.jsonValue({ maxDepth: 4 }),
  );
}

/** Every object and array inside `v` (including `v`), for picking a place to plant a hostile value. */
function containers(v: unknown, out: (Record<string, unknown> | unknown[])[] = []): typeof out {
  if (v !== null && typeof v === 'object') {
    out.push(v as Record<string, unknown> | unknown[]);
    for (const child of Object.values(v)) containers(child, out);
  }
  return out;
}

/**
 * A hostile request body (JSON text) for a shape: a model-shaped request (see requestArbitrary)
 * with hostile values planted at random places: replacing members or list items, or added under
 * unknown and prototype keys. Sometimes the whole body is hostile.
 */
export function hostileRequestArbitrary(model: ServiceModel, shapeName: string): fc.Arbitrary<string> {
  const mutation = fc.record({
    at: fc.nat(),
    pick: fc.nat(),
    kind: fc.constantFrom('replace', 'add'),
    key: fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS, 'Evil'), fc.string({ maxLength: 8 })),
    value: hostileValue(),
  });
  const planted = fc
    .tuple(requestArbitrary(model, shapeName), fc.array(mutation, { minLength: 1, maxLength: 3 }))
    .map(([base, mutations]) => {
      const body = structuredClone(base) as Record<string, unknown>;
      for (const m of mutations) {
        const all = containers(body);
        const target = all[m.at % all.length];
        const keys = Object.keys(target);
        if (m.kind === 'replace' && keys.length > 0) {
          const k = keys[m.pick % keys.length];
          Object.defineProperty(target, k, {
            value: m.value,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        } else if (Array.isArray(target)) target.push(m.value);
        else
          Object.defineProperty(target, m.key, {
            value: m.value,
            enumerable: true,
            writable: true,
            configurable: true,
          });
      }
      return JSON.stringify(body);
    });
  return fc.oneof(
    { weight: 9, arbitrary: planted },
    { weight: 1, arbitrary: hostileValue().map((v) => JSON.stringify(v) ?? 'null') },
  );
}
