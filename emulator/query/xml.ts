import type { QueryMember, QueryModel, QueryShape } from './model';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * Escapes text for an XML element's content (only `&`, `<`, `>` need it there; quotes stay). Characters XML 1.0 can't carry at all (most C0 controls, lone
 * surrogates, U+FFFE/U+FFFF) become U+FFFD; \r is a character reference so parsers keep it.
 */
export function escapeXml(text: string): string {
  return text
    .replace(/[&<>]/g, (c) => ESCAPES[c])
    .replace(/\r/g, '&#xD;')
    .replace(
      // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters XML 1.0 cannot carry
      /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
      '\uFFFD',
    );
}

/** ISO 8601 with milliseconds, as EC2 and STS send timestamps. Input: epoch ms or a Date. */
export const iso = (value: unknown): string =>
  (value instanceof Date ? value : new Date(typeof value === 'number' ? value : String(value))).toISOString();

/**
 * Serializes a handler's output (an object keyed by the model's member names, timestamps as epoch
 * ms) into XML elements named as the protocol names them: EC2 uses each member's locationName and
 * `<item>` for list members; the Query protocol the member name (or locationName) and `<member>`.
 * Members the output doesn't set are left out; unknown members are ignored.
 */
export class XmlWriter {
  constructor(private readonly model: QueryModel) {}

  members(shapeName: string, value: Record<string, unknown>, out: string[]): void {
    const shape = this.model.shapes[shapeName];
    for (const [name, member] of Object.entries(shape.members ?? {})) {
      const v = value[name];
      if (v === undefined || v === null) continue;
      this.member(member.locationName ?? name, member, v, out);
    }
  }

  private member(tag: string, member: QueryMember, value: unknown, out: string[]): void {
    const shape = this.model.shapes[member.shape];
    if (shape.type === 'list') {
      if (!Array.isArray(value)) return;
      const item = shape.member as QueryMember;
      if (member.flattened || shape.flattened) {
        for (const v of value) this.member(item.locationName ?? tag, item, v, out);
        return;
      }
      out.push(`<${tag}>`);
      const itemTag = item.locationName ?? 'member';
      for (const v of value) this.member(itemTag, item, v, out);
      out.push(`</${tag}>`);
      return;
    }
    if (shape.type === 'map') {
      out.push(`<${tag}>`);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        out.push('<entry>');
        this.member(shape.key?.locationName ?? 'key', shape.key as QueryMember, k, out);
        this.member(shape.value?.locationName ?? 'value', shape.value as QueryMember, v, out);
        out.push('</entry>');
      }
      out.push(`</${tag}>`);
      return;
    }
    if (shape.type === 'structure') {
      out.push(`<${tag}>`);
      this.members(member.shape, value as Record<string, unknown>, out);
      out.push(`</${tag}>`);
      return;
    }
    out.push(`<${tag}>${this.scalar(shape, value)}</${tag}>`);
  }

  private scalar(shape: QueryShape, value: unknown): string {
    if (shape.type === 'timestamp') return iso(value);
    if (shape.type === 'boolean') return value ? 'true' : 'false';
    if (shape.type === 'blob')
      return Buffer.isBuffer(value) ? value.toString('base64') : escapeXml(String(value));
    return escapeXml(String(value));
  }
}
