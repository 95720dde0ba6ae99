import {
  consumerConfigFromEnv,
  DEFAULT_TIMESTAMP_FORMAT,
  javaPatternToDateFns,
  parseTimestamp,
} from '../../../functions/core/config';

function iso(value: string, pattern?: string): string {
  const result = parseTimestamp(value, pattern);
  if (!result.ok) throw new Error(`expected ${value} to parse: ${result.reason}`);
  return result.date.toISOString();
}

describe('parseTimestamp', () => {
  it('reads the reference default pattern with -00:00, Z and a positive offset', () => {
    expect(DEFAULT_TIMESTAMP_FORMAT).toBe("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    expect(iso('2016-04-04T19:58:46.480-00:00')).toBe('2016-04-04T19:58:46.480Z');
    expect(iso('2016-04-04T19:58:46.480Z')).toBe('2016-04-04T19:58:46.480Z');
    expect(iso('2016-04-04T21:58:46.480+02:00')).toBe('2016-04-04T19:58:46.480Z');
  });

  it('reads yyyy-MM-dd as midnight UTC whatever the process time zone', () => {
    expect(iso('2016-04-04', 'yyyy-MM-dd')).toBe('2016-04-04T00:00:00.000Z');
  });

  it('reads epoch seconds with a fraction when the pattern does not match', () => {
    expect(iso('1459799926.480')).toBe('2016-04-04T19:58:46.480Z');
    expect(iso('1459799926')).toBe('2016-04-04T19:58:46.000Z');
    expect(iso('1459799926.480', 'yyyy-MM-dd')).toBe('2016-04-04T19:58:46.480Z');
  });

  it('prefers the pattern over epoch seconds for an all-digit value, as the reference does', () => {
    expect(iso('20160404', 'yyyyMMdd')).toBe('2016-04-04T00:00:00.000Z');
  });

  it('maps Java Z (-0800), a (AM/PM) and quoted literals with an escaped quote', () => {
    expect(iso('2016-04-04 07:58 PM -0800', 'yyyy-MM-dd hh:mm a Z')).toBe('2016-04-05T03:58:00.000Z');
    expect(iso("2016-04-04 at 19 o'clock", "yyyy-MM-dd 'at' HH 'o''clock'")).toBe('2016-04-04T19:00:00.000Z');
  });

  it('maps Java u (day number of week, Monday = 1) and D (day of year)', () => {
    expect(javaPatternToDateFns('u')).toBe('i');
    expect(iso('2016-095', 'yyyy-DDD')).toBe('2016-04-04T00:00:00.000Z');
  });

  it('treats Java S as a count of milliseconds, like SimpleDateFormat', () => {
    expect(iso('2016-04-04 19:58:46.5', 'yyyy-MM-dd HH:mm:ss.S')).toBe('2016-04-04T19:58:46.005Z');
  });

  it('refuses out-of-range fields that lenient SimpleDateFormat would roll over', () => {
    const result = parseTimestamp('2016-13-45', 'yyyy-MM-dd');
    expect(result).toEqual({
      ok: false,
      reason: 'a date in the pattern yyyy-MM-dd or epoch seconds such as 1459799926.480',
    });
  });

  it('refuses trailing text that SimpleDateFormat.parse would ignore', () => {
    expect(parseTimestamp('2016-04-04 junk', 'yyyy-MM-dd').ok).toBe(false);
  });

  it.each([
    [
      'yyyy-MM-dd HH:mm z',
      'z (a time zone name such as PST) cannot be parsed here; use XXX (-08:00) or Z (-0800)',
    ],
    ['yy-MM-dd', 'two-digit years (yy) are ambiguous; use yyyy'],
    ['yyyy-MM W', 'W (week in month) has no equivalent here; use yyyy-MM-dd'],
    ['yyyy-MM-dd F', 'F (day of week in month) has no equivalent here; use yyyy-MM-dd'],
    ['yyyy-MM-dd HH:mm:ss.SSSS', 'S counts milliseconds; use at most SSS'],
    ['yyyy-MM-ddXXXX', 'X takes 1 to 3 letters (XXX is -08:00)'],
    ['yyyy-MM-ddTHH', '"T" is not a SimpleDateFormat pattern letter; quote literal text, e.g. \'T\''],
    ["yyyy-MM-dd'T", 'a quoted literal is not closed; end it with a single quote'],
  ])('refuses the pattern %s with a reason', (pattern, reason) => {
    expect(parseTimestamp('2016-04-04', pattern)).toEqual({ ok: false, badPattern: pattern, reason });
  });

  it('reports token combinations date-fns cannot parse together as a bad pattern', () => {
    const result = parseTimestamp('2016-04-04 1', 'yyyy-MM-dd u');
    expect(result.ok).toBe(false);
    expect(result).toMatchObject({ badPattern: 'yyyy-MM-dd u' });
  });
});

describe('parseTimestamp in a bundle without the Java date pattern parser', () => {
  beforeEach(() => {
    process.env.CONNECTOR_BUNDLE_DATE_PATTERNS = 'false';
  });
  afterEach(() => {
    delete process.env.CONNECTOR_BUNDLE_DATE_PATTERNS;
  });

  it('still reads epoch seconds with the default pattern, which they can never match', () => {
    expect(iso('1459799926.480')).toBe('2016-04-04T19:58:46.480Z');
  });

  it('refuses a date in a pattern, saying the parser was left out and by which constant', () => {
    const result = parseTimestamp('2016-04-04T19:58:46.480Z');
    expect(result).toEqual({
      ok: false,
      reason: expect.stringContaining('process.env.CONNECTOR_BUNDLE_DATE_PATTERNS defined as "false"'),
    });
    expect(parseTimestamp('1459799926.480', 'yyyy-MM-dd').ok).toBe(false);
  });

  it('names the setting and the reason when the consumer configuration is loaded', () => {
    expect(() =>
      consumerConfigFromEnv({
        SKC_STREAMS: 'orders',
        SKC_AWS_REGION: 'us-east-1',
        SKC_FLINK_STREAM_INITPOS: 'AT_TIMESTAMP',
        SKC_FLINK_STREAM_INITPOS_TIMESTAMP: '2016-04-04T19:58:46.480Z',
      }),
    ).toThrow(
      /SKC_FLINK_STREAM_INITPOS_TIMESTAMP must be epoch seconds .*without the Java date pattern parser/,
    );
  });
});
