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
