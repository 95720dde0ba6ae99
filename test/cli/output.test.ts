import { explainError } from '../../cli/errors';
import { formatDuration, formatLag } from '../../cli/output';
import { parsePosition, positionForms } from '../../cli/positions';
import { RetriesExhaustedError } from '../../functions/core/errors';

describe('formatDuration and formatLag', () => {
  it.each([
    [0, '0 ms'],
    [999, '999 ms'],
    [1000, '1.0 s'],
    [12_345, '12.3 s'],
    [59_999, '59.9 s'],
    [60_000, '1 min 00 s'],
    [245_000, '4 min 05 s'],
    [3_600_000, '1 h 00 min'],
    [10_920_000, '3 h 02 min'],
    [86_400_000 * 2 + 3_600_000 * 4, '2 d 04 h'],
  ])('writes %d ms as %s', (millis, text) => {
    expect(formatDuration(millis)).toBe(text);
  });

  it('says a shard at the tip is caught up and an unmeasured one has no lag', () => {
    expect(formatLag(0)).toBe('caught up');
    expect(formatLag(undefined)).toBe('-');
    expect(formatLag(90_000)).toBe('1 min 30 s');
  });
});

describe('parsePosition', () => {
  it('reads the iterator types, times with their zone and sequence numbers', () => {
    expect(parsePosition('trim_horizon', '--from')).toEqual({ type: 'TRIM_HORIZON' });
    expect(parsePosition('LATEST', '--from')).toEqual({ type: 'LATEST' });
    expect(parsePosition('2024-05-01T10:00:00+02:00', '--from')).toEqual({
      type: 'AT_TIMESTAMP',
      timestampMillis: Date.UTC(2024, 4, 1, 8),
    });
    expect(parsePosition('2024-05-01T10:00:00.123456789-0130', '--from')).toEqual({
      type: 'AT_TIMESTAMP',
      timestampMillis: Date.UTC(2024, 4, 1, 11, 30, 0, 123),
    });
    expect(parsePosition('2024-02-29T23:59Z', '--from')).toEqual({
      type: 'AT_TIMESTAMP',
      timestampMillis: Date.UTC(2024, 1, 29, 23, 59),
    });
    expect(parsePosition('2024-05-01', '--from')).toEqual({
      type: 'AT_TIMESTAMP',
      timestampMillis: Date.UTC(2024, 4, 1),
    });
    expect(parsePosition('49590', '--from', 'sequence')).toEqual({
      type: 'SEQUENCE',
      sequenceNumber: '49590',
    });
    expect(parsePosition('49590:3', '--from', 'sub-sequence')).toEqual({
      type: 'SEQUENCE',
      sequenceNumber: '49590',
      subSequenceNumber: 3,
    });
  });

  it('refuses impossible dates and hours instead of rolling them over', () => {
    for (const text of [
      '2024-02-30T00:00:00Z',
      '2023-02-29',
      '2024-04-31T10:00:00Z',
      '2024-05-01T25:00:00Z',
      '2024-05-01T10:60:00Z',
      '2024-13-01',
    ]) {
      expect(() => parsePosition(text, '--to')).toThrow(
        `--to ${JSON.stringify(text)} is not a time that exists (a day, hour, minute or second out of range); --to takes ${positionForms('none')}.`,
      );
    }
  });

  it('refuses a time without its zone, a form the option does not take, and words, listing only what it takes', () => {
    const cases: [string, 'none' | 'sequence'][] = [
      ['49590', 'none'],
      ['49590:3', 'sequence'],
      ['yesterday', 'sequence'],
      ['0049', 'sequence'],
    ];
    for (const [text, sequences] of cases) {
      const error = (() => {
        try {
          parsePosition(text, '--to', sequences);
        } catch (e) {
          return (e as Error).message;
        }
        return 'accepted';
      })();
      expect(error).toBe(`--to must be ${positionForms(sequences)}; got ${JSON.stringify(text)}.`);
      expect(error.includes('sequence number')).toBe(sequences !== 'none');
    }
    expect(() => parsePosition('2024-05-01T10:00:00', '--to')).toThrow(
      `--to must be ${positionForms('none')}; got "2024-05-01T10:00:00".`,
    );
  });
});

describe('explainError', () => {
  // Local servers accept any signature, so rejected credentials are built here from the SDK's error shape.
  it('says rejected credentials must be current and of the right account', () => {
    const error = Object.assign(new Error('The security token included in the request is invalid.'), {
      name: 'UnrecognizedClientException',
    });
    expect(explainError(error, { region: 'eu-west-1', endpoints: {} })).toEqual({
      exitCode: 1,
      message:
        'AWS rejected the credentials (UnrecognizedClientException: The security token included in the request is ' +
        'invalid.). Check that they are current and belong to the account of the resources in region eu-west-1.',
    });
  });

  it('looks through the retry wrapper to the network error under it', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), {
      code: 'ECONNREFUSED',
      address: '127.0.0.1',
      port: 4566,
    });
    expect(explainError(new RetriesExhaustedError('PutParameter', 5, refused)).message).toBe(
      'Nothing answers at 127.0.0.1:4566 (ECONNREFUSED): check the --endpoint options and that the server is running.',
    );
  });

  it('says access was denied and what to grant', () => {
    const error = Object.assign(new Error('User x is not authorized to perform: ssm:PutParameter'), {
      name: 'AccessDeniedException',
    });
    expect(explainError(error).message).toBe(
      "Access denied: User x is not authorized to perform: ssm:PutParameter. Grant the credentials' role the permission it names.",
    );
  });
});
