import type { Image } from '@aws-sdk/client-appstream';

/**
 * Instance families as `Image.SupportedInstanceFamilies` names them (AppStream API reference,
 * Image: "The supported instances families that determine which image a customer can use when
 * the customer launches a fleet or image builder"), derived from an instance type:
 * stream.standard.* → GENERAL_PURPOSE, stream.compute.* → COMPUTE_OPTIMIZED, stream.memory.*
 * (z1d too) → MEMORY_OPTIMIZED, stream.graphics.g4dn.* → GRAPHICS_G4DN, stream.graphics.g5.* →
 * GRAPHICS_G5, stream.graphics.g6.* / gr6 → GRAPHICS_G6, stream.graphics-pro.* → GRAPHICS_PRO,
 * stream.graphics-design.* → GRAPHICS_DESIGN.
 */
export function instanceFamily(instanceType: string): string | undefined {
  const t = instanceType.toLowerCase();
  if (t.startsWith('stream.standard.')) return 'GENERAL_PURPOSE';
  if (t.startsWith('stream.compute.')) return 'COMPUTE_OPTIMIZED';
  if (t.startsWith('stream.memory.')) return 'MEMORY_OPTIMIZED';
  if (t.startsWith('stream.graphics.g4dn.')) return 'GRAPHICS_G4DN';
  if (t.startsWith('stream.graphics.g5.')) return 'GRAPHICS_G5';
  if (t.startsWith('stream.graphics.g6.') || t.startsWith('stream.graphics.gr6.')) return 'GRAPHICS_G6';
  if (t.startsWith('stream.graphics-pro.')) return 'GRAPHICS_PRO';
  if (t.startsWith('stream.graphics-design.')) return 'GRAPHICS_DESIGN';
  return undefined;
}

const GENERAL = ['GENERAL_PURPOSE', 'COMPUTE_OPTIMIZED', 'MEMORY_OPTIMIZED'];

/**
 * The families an image supports: `SupportedInstanceFamilies` when AWS reports it, else from
 * AWS's base image naming (release notes, "AppStream 2.0 Base Image and Managed Image Update
 * Release Notes"): `AppStream-Graphics-G4dn-WinServer2019-…`, `AppStream-Graphics-G5-…`,
 * `AppStream-Graphics-G6-…`, `AppStream-Graphics-Pro-…`, `AppStream-Graphics-Design-…` are for
 * their graphics family only; `AppStream-WinServer2022-…`, `AppStream-AmazonLinux2-…` are for the
 * general purpose, compute and memory optimized families.
 */
export function imageFamilies(image: Image): string[] {
  const reported = image.SupportedInstanceFamilies;
  if (reported?.length) return reported.map((f) => f.toUpperCase().replaceAll('-', '_'));
  const name = image.Name ?? '';
  const graphics: [RegExp, string][] = [
    [/Graphics-G4dn/i, 'GRAPHICS_G4DN'],
    [/Graphics-G5/i, 'GRAPHICS_G5'],
    [/Graphics-G6/i, 'GRAPHICS_G6'],
    [/Graphics-Pro/i, 'GRAPHICS_PRO'],
    [/Graphics-Design/i, 'GRAPHICS_DESIGN'],
  ];
  for (const [re, family] of graphics) if (re.test(name)) return [family];
  return GENERAL;
}

/** AWS's sample images (`Amazon-AppStream2-Sample-Image-…`) come with demo apps: never a base. */
export const isSampleImage = (image: Image) => /Sample-Image|-Sample-/i.test(image.Name ?? '');

/** True when a builder of this instance type can launch from the image (unknown type: true). */
export function supportsInstanceType(image: Image, instanceType: string | undefined): boolean {
  const family = instanceType ? instanceFamily(instanceType) : undefined;
  return !family || imageFamilies(image).includes(family);
}
