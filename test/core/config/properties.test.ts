import { ConfigurationError } from '../../../functions/core/errors';
import { parseProperties } from '../../../functions/core/config';

function values(text: string): Record<string, string> {
  return Object.fromEntries([...parseProperties(text)].map(([key, entry]) => [key, entry.value]));
}

describe('parseProperties', () => {
  it('reads =, : and whitespace separators and skips # and ! comments and blank lines', () => {
    const text = [
      '# a comment',
      '   ! another comment',
      '',
      'aws.region=us-east-1',
      'flink.stream.initpos : TRIM_HORIZON',
      'streams   orders',
      '\tAggregationEnabled=false',
    ].join('\n');
    expect(values(text)).toEqual({
      'aws.region': 'us-east-1',
      'flink.stream.initpos': 'TRIM_HORIZON',
      streams: 'orders',
      AggregationEnabled: 'false',
    });
  });

  it('keeps the first separator only, so values may contain = and :', () => {
    expect(values("flink.stream.initpos.timestamp.format=yyyy-MM-dd'T'HH:mm:ss")).toEqual({
      'flink.stream.initpos.timestamp.format': "yyyy-MM-dd'T'HH:mm:ss",
    });
  });

  it('joins backslash continuations and drops the next line’s leading whitespace', () => {
    const text = 'streams = orders,\\\n    payments,\\\n    refunds\nnext=1';
    expect(values(text)).toEqual({ streams: 'orders,payments,refunds', next: '1' });
  });

  it('treats an even run of trailing backslashes as escaped backslashes, not a continuation', () => {
    expect(values('path=C:\\\\dir\\\\\nnext=1')).toEqual({ path: 'C:\\dir\\', next: '1' });
  });

  it('unescapes \\t \\n \\uXXXX and escaped separators in keys', () => {
    expect(values('a\\=b\\:c=x\\ty\\nz\\u00e9')).toEqual({ 'a=b:c': 'x\ty\nzé' });
  });

  it('reads CRLF and CR line endings', () => {
    expect(values('a=1\r\nb=2\rc=3')).toEqual({ a: '1', b: '2', c: '3' });
  });

  it('records the line each key starts on', () => {
    const parsed = parseProperties('# header\n\nstreams=orders\naws.region=us-east-1');
    expect(parsed.get('streams')?.line).toBe(3);
    expect(parsed.get('aws.region')?.line).toBe(4);
  });

  it('reports a key set twice with both line numbers', () => {
    expect(() => parseProperties('aws.region=us-east-1\nstreams=a\naws.region=eu-west-1')).toThrow(
      new ConfigurationError('aws.region is set twice, on lines 1 and 3; keep one.'),
    );
  });

  it('reports a malformed \\u escape with its line, and lists several problems together', () => {
    let error: unknown;
    try {
      parseProperties('a=1\nb=\\u00zz\na=2');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).message).toBe(
      'The properties text has 2 problems:\n' +
        '- Line 2: malformed \\u escape "\\u00zz"; write four hexadecimal digits, e.g. \\u00e9.\n' +
        '- a is set twice, on lines 1 and 3; keep one.',
    );
    expect((error as ConfigurationError).problems.map((p) => p.key)).toEqual(['line 2', 'a']);
  });
});
