import { describe, expect, it } from 'vitest';
import { loadQueryModel } from '../../../emulator/query/model';
import { formParams, MAX_LIST_INDEX, MAX_PARAMS, QueryParser } from '../../../emulator/query/parse';

const parser = new QueryParser(loadQueryModel('ec2.subset'));
const parse = (op: string, body: string) => parser.parse(op, parser.tree(op, formParams(body)));

describe('Query parser (emulator/query/parse.ts)', () => {
  it('builds nothing for undeclared names, however deep', () => {
    const tree = parser.tree('DescribeVpcs', formParams(`${'a.'.repeat(100_000)}b=1&Evil=x&__proto__.x=1`));
    expect(tree.children).toBeUndefined();
  });

  it('walks declared names only as deep as their shapes', () => {
    expect(
      parse('DescribeVpcs', `Filter.1.Name=vpc-id&Filter.1.Name.x.y=z&Filter.1.Value.1=a&VpcId.1.x=q`),
    ).toEqual({
      Filters: [{ Name: 'vpc-id', Values: ['a'] }],
    });
  });

  it('keeps list order by index and tolerates gaps', () => {
    expect(parse('DescribeVpcs', 'VpcId.3=c&VpcId.1=a&VpcId.10=d')).toEqual({ VpcIds: ['a', 'c', 'd'] });
  });

  it('refuses malformed and oversized indexes', () => {
    for (const name of ['VpcId.0', 'VpcId.abc', 'VpcId.01', 'Filter.x.Name'])
      expect(() => parse('DescribeVpcs', `${name}=v`), name).toThrow(
        expect.objectContaining({ code: 'UnknownParameter' }),
      );
    expect(() => parse('DescribeVpcs', `VpcId.${MAX_LIST_INDEX + 1}=v`)).toThrow(
      expect.objectContaining({ code: 'InvalidParameterValue' }),
    );
  });

  it(`stops reading at ${MAX_PARAMS} parameters`, () => {
    expect(formParams('a=1&'.repeat(MAX_PARAMS))).toHaveLength(MAX_PARAMS);
    expect(() => formParams('a=1&'.repeat(MAX_PARAMS + 1))).toThrow(
      expect.objectContaining({ code: 'InvalidParameterValue' }),
    );
  });

  it('decodes + and %-escapes, keeping malformed escapes', () => {
    expect(formParams('A=a+b%20c&B=%E0%A4%A&C=%41')).toEqual([
      ['A', 'a b c'],
      ['B', '\u00e0\u00a4%A'],
      ['C', 'A'],
    ]);
  });
});
