import type { Image } from '@aws-sdk/client-appstream';

/**
 * Instance families as `Image.SupportedInstanceFamilies` names them. The API reference (Image)
 * lists them only in words ("General Purpose, Compute Optimized, Memory Optimized, Graphics G4,
 * Graphics G5, Graphics G6"), the one documented enumeration (CreateApplication InstanceFamilies)
 * spells them `GENERAL_PURPOSE` and `GRAPHICS_G4`, and builders have been seen with
 * `GRAPHICS_G4DN`. So every spelling is normalised to one canonical name: upper case, spaces and
 * hyphens as `_`, and `GRAPHICS_G4DN` = `GRAPHICS_G4` (the g4dn instances). Canonical names:
 */
export const KNOWN_FAMILIES = [
  'GENERAL_PURPOSE',
  'COMPUTE_OPTIMIZED',
  'MEMORY_OPTIMIZED',
  'GRAPHICS_G4',
  'GRAPHICS_G5',
  'GRAPHICS_G6',
  'GRAPHICS_PRO',
  'GRAPHICS_DESIGN',
] as const;

const ALIASES: Record<string, string> = {
  GRAPHICS_G4DN: 'GRAPHICS_G4',
  GRAPHICS_GR6: 'GRAPHICS_G6',
  GENERAL: 'GENERAL_PURPOSE',
  COMPUTE: 'COMPUTE_OPTIMIZED',
  MEMORY: 'MEMORY_OPTIMIZED',
};

/** Any spelling of a family (`Graphics G4`, `graphics-g4dn`, `GRAPHICS_G4DN`) as its canonical name. */
export function normalizeFamily(raw: string): string {
  const f = raw
    .trim()
    .toUpperCase()
    .replace(/[\s-]+/g, '_');
  return ALIASES[f] ?? f;
}

export const isKnownFamily = (family: string) => (KNOWN_FAMILIES as readonly string[]).includes(family);

/**
 * The canonical family of an instance type: stream.standard.* → GENERAL_PURPOSE,
 * stream.compute.* → COMPUTE_OPTIMIZED, stream.memory.* (z1d too) → MEMORY_OPTIMIZED,
 * stream.graphics.g4dn.* → GRAPHICS_G4, stream.graphics.g5.* → GRAPHICS_G5, stream.graphics.g6.* /
 * gr6 → GRAPHICS_G6, stream.graphics-pro.* → GRAPHICS_PRO, stream.graphics-design.* →
 * GRAPHICS_DESIGN.
 */
export function instanceFamily(instanceType: string): string | undefined {
  const t = instanceType.toLowerCase();
  if (t.startsWith('stream.standard.')) return 'GENERAL_PURPOSE';
  if (t.startsWith('stream.compute.')) return 'COMPUTE_OPTIMIZED';
  if (t.startsWith('stream.memory.')) return 'MEMORY_OPTIMIZED';
  if (t.startsWith('stream.graphics.g4dn.')) return 'GRAPHICS_G4';
  if (t.startsWith('stream.graphics.g5.')) return 'GRAPHICS_G5';
  if (t.startsWith('stream.graphics.g6.') || t.startsWith('stream.graphics.gr6.')) return 'GRAPHICS_G6';
  if (t.startsWith('stream.graphics-pro.')) return 'GRAPHICS_PRO';
  if (t.startsWith('stream.graphics-design.')) return 'GRAPHICS_DESIGN';
  return undefined;
}

const GENERAL = ['GENERAL_PURPOSE', 'COMPUTE_OPTIMIZED', 'MEMORY_OPTIMIZED'];

/** The families an image's name implies (AWS's base image naming). */
function familiesByName(image: Image): string[] {
  const name = image.Name ?? '';
  const graphics: [RegExp, string][] = [
    [/Graphics-G4dn/i, 'GRAPHICS_G4'],
    [/Graphics-G5/i, 'GRAPHICS_G5'],
    [/Graphics-G6/i, 'GRAPHICS_G6'],
    [/Graphics-Pro/i, 'GRAPHICS_PRO'],
    [/Graphics-Design/i, 'GRAPHICS_DESIGN'],
  ];
  for (const [re, family] of graphics) if (re.test(name)) return [family];
  return GENERAL;
}

/**
 * The families an image supports, canonical: `SupportedInstanceFamilies` when AWS reports it
 * (normalised; values we don't know are kept as they are), else from AWS's base image naming
 * (release notes, "AppStream 2.0 Base Image and Managed Image Update Release Notes"):
 * `AppStream-Graphics-G4dn-WinServer2019-…`, `AppStream-Graphics-G5-…`, `AppStream-Graphics-G6-…`,
 * `AppStream-Graphics-Pro-…`, `AppStream-Graphics-Design-…` are for their graphics family only;
 * `AppStream-WinServer2022-…`, `AppStream-AmazonLinux2-…` are for the general purpose, compute and
 * memory optimized families.
 */
export function imageFamilies(image: Image): string[] {
  const reported = image.SupportedInstanceFamilies;
  if (reported?.length) return [...new Set(reported.map(normalizeFamily))];
  return familiesByName(image);
}

/**
 * Whether a builder of this instance type can launch from the image: `yes`, `no` (the image's
 * families are all known and the type's is not among them), or `unknown` (an unknown type, or
 * the image reports a family spelling we don't know, which may be the type's: never a refusal).
 */
export function familyFit(image: Image, instanceType: string | undefined): 'yes' | 'no' | 'unknown' {
  const family = instanceType ? instanceFamily(instanceType) : undefined;
  if (!family) return 'unknown';
  const families = imageFamilies(image);
  if (families.includes(family)) return 'yes';
  return families.every(isKnownFamily) ? 'no' : 'unknown';
}

/** AWS's sample images (`Amazon-AppStream2-Sample-Image-…`) come with demo apps: never a base. */
export const isSampleImage = (image: Image) => /Sample-Image|-Sample-/i.test(image.Name ?? '');

/** True unless the image is known not to support the instance type (unknown: true, lenient). */
export function supportsInstanceType(image: Image, instanceType: string | undefined): boolean {
  return familyFit(image, instanceType) !== 'no';
}
