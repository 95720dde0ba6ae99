import {
  checkExplicitHashKey,
  checkPartitionKey,
  checkStreamName,
  parseMessage,
  type ProducerMessage,
} from '../../../functions/core/producer/message-contract';

function envelope(body: unknown): ProducerMessage {
  return { messageId: 'm1', body: typeof body === 'string' ? body : JSON.stringify(body) };
}

function parsedData(message: ProducerMessage, format: 'envelope' | 'raw' = 'envelope'): string {
  const result = parseMessage(message, format);
  if (!result.ok) throw new Error(`expected a record, got: ${result.reason}`);
  return Buffer.from(result.record.data).toString('utf8');
}

function rejection(message: ProducerMessage, format: 'envelope' | 'raw' = 'envelope') {
  const result = parseMessage(message, format);
  if (result.ok) throw new Error('expected a rejection');
  return result;
}

describe('parseMessage in envelope mode', () => {
  it('takes string data as UTF-8 and carries the optional fields through', () => {
    const result = parseMessage(
      envelope({ data: 'héllo ✓', partitionKey: 'user-1', explicitHashKey: '42', stream: 'orders' }),
    );
    expect(result).toEqual({
      ok: true,
      record: {
        data: Buffer.from('héllo ✓', 'utf8'),
        value: 'héllo ✓',
        partitionKey: 'user-1',
        explicitHashKey: '42',
        stream: 'orders',
      },
    });
  });

  it('decodes base64 data byte for byte', () => {
    const bytes = Buffer.from([0, 255, 1, 254, 0xf3, 0x89]);
    const result = parseMessage(envelope({ data: bytes.toString('base64'), encoding: 'base64' }));
    expect(result.ok && Buffer.from(result.record.data).equals(bytes)).toBe(true);
  });

  it('serialises any non-string JSON value, and strings too with encoding json', () => {
    expect(parsedData(envelope({ data: { a: [1, 2], b: null } }))).toBe('{"a":[1,2],"b":null}');
    expect(parsedData(envelope({ data: 17.5 }))).toBe('17.5');
    expect(parsedData(envelope({ data: false }))).toBe('false');
    expect(parsedData(envelope({ data: null }))).toBe('null');
    expect(parsedData(envelope({ data: 'text', encoding: 'json' }))).toBe('"text"');
  });

  it('accepts empty data', () => {
    expect(parsedData(envelope({ data: '' }))).toBe('');
  });

  it.each([
    ['not JSON', '{"data": ', 'body', /not valid JSON/],
    ['a JSON array', '[1,2]', 'body', /JSON an array; in envelope mode it must be a JSON object/],
    ['a JSON string', '"x"', 'body', /JSON a string/],
    ['no data', '{"partitionKey":"k"}', 'data', /no "data" field/],
    [
      'an unknown field',
      '{"data":"x","partitionkey":"k"}',
      'partitionkey',
      /unknown field "partitionkey"; the allowed fields are data, encoding, partitionKey, explicitHashKey, stream/,
    ],
    [
      'an unknown encoding',
      '{"data":"x","encoding":"hex"}',
      'encoding',
      /"hex"; it must be one of utf8, base64, json/,
    ],
    [
      'base64 with bad characters',
      '{"data":"a$bc","encoding":"base64"}',
      'data',
      /"a\$bc" is not valid base64/,
    ],
    ['base64 without padding', '{"data":"abc","encoding":"base64"}', 'data', /not valid base64/],
    ['base64 of a number', '{"data":5,"encoding":"base64"}', 'data', /a number but encoding is base64/],
    ['utf8 of an object', '{"data":{},"encoding":"utf8"}', 'data', /an object but encoding is utf8/],
    ['a lone surrogate in data', '{"data":"a\\ud800b"}', 'data', /unpaired UTF-16 surrogate/],
    [
      'an empty partition key',
      '{"data":"x","partitionKey":""}',
      'partitionKey',
      /is 0 characters long; it must be 1 to 256/,
    ],
    [
      'a numeric partition key',
      '{"data":"x","partitionKey":7}',
      'partitionKey',
      /a number; it must be a string/,
    ],
    [
      'a hash key with a leading zero',
      '{"data":"x","explicitHashKey":"007"}',
      'explicitHashKey',
      /"007"; it must be a decimal integer/,
    ],
    [
      'a numeric hash key',
      '{"data":"x","explicitHashKey":7}',
      'explicitHashKey',
      /a number; it must be a decimal string/,
    ],
    [
      'a bad stream name',
      '{"data":"x","stream":"a/b"}',
      'stream',
      /"a\/b"; it must be a stream name \(1 to 128 letters.*\) or a stream ARN/,
    ],
  ])('rejects %s, naming the field', (_name, body, field, reason) => {
    const result = rejection(envelope(body));
    expect(result.field).toBe(field);
    expect(result.reason).toMatch(reason);
  });

  it('keeps an error message short when the offending value is huge', () => {
    const result = rejection(envelope({ data: 'x', stream: 's'.repeat(100000) }));
    expect(result.reason.length).toBeLessThan(300);
  });
});

describe('parseMessage in raw mode', () => {
  const attribute = (stringValue: string) => ({ dataType: 'String', stringValue });

  it('takes the body as the data and the keys from String attributes', () => {
    const result = parseMessage(
      {
        messageId: 'm',
        body: '{"not":"an envelope"}',
        attributes: { partitionKey: attribute('k'), stream: attribute('s'), other: attribute('ignored') },
      },
      'raw',
    );
    expect(result).toEqual({
      ok: true,
      record: {
        data: Buffer.from('{"not":"an envelope"}'),
        value: '{"not":"an envelope"}',
        partitionKey: 'k',
        stream: 's',
      },
    });
  });

  it('decodes a base64 body when the encoding attribute says so', () => {
    const message = {
      messageId: 'm',
      body: Buffer.from([1, 2, 3]).toString('base64'),
      attributes: { encoding: attribute('base64') },
    };
    const result = parseMessage(message, 'raw');
    expect(result.ok && [...result.record.data]).toEqual([1, 2, 3]);
  });

  it('rejects a key carried in a Binary attribute and a bad base64 body', () => {
    expect(
      rejection(
        {
          messageId: 'm',
          body: 'x',
          attributes: { partitionKey: { dataType: 'Binary', binaryValue: Buffer.from('k') } },
        },
        'raw',
      ),
    ).toMatchObject({
      field: 'partitionKey',
      reason: expect.stringMatching(/type Binary; it must be a String attribute/),
    });
    expect(
      rejection(
        { messageId: 'm', body: 'not base64!', attributes: { encoding: attribute('base64') } },
        'raw',
      ),
    ).toMatchObject({ field: 'body' });
    expect(
      rejection({ messageId: 'm', body: 'x', attributes: { encoding: attribute('json') } }, 'raw'),
    ).toMatchObject({
      field: 'encoding',
    });
  });
});

describe('field checks', () => {
  it('bounds a partition key at 256 UTF-16 units', () => {
    expect(checkPartitionKey('k'.repeat(256))).toBeUndefined();
    expect(checkPartitionKey('k'.repeat(257))).toMatch(/257 characters long/);
    // 128 astral characters are 256 UTF-16 units: the stricter reading still admits them.
    expect(checkPartitionKey('😀'.repeat(128))).toBeUndefined();
    expect(checkPartitionKey('😀'.repeat(129))).toMatch(/258 characters/);
  });

  it('bounds an explicit hash key at 2^128 - 1', () => {
    const max = ((1n << 128n) - 1n).toString();
    expect(checkExplicitHashKey('0')).toBeUndefined();
    expect(checkExplicitHashKey(max)).toBeUndefined();
    expect(checkExplicitHashKey((1n << 128n).toString())).toMatch(
      /from 0 to 340282366920938463463374607431768211455/,
    );
    expect(checkExplicitHashKey('-1')).toBeDefined();
    expect(checkExplicitHashKey('1e5')).toBeDefined();
  });

  it('accepts the stream names Kinesis accepts', () => {
    expect(checkStreamName('My_stream-1.v2')).toBeUndefined();
    expect(checkStreamName('s'.repeat(128))).toBeUndefined();
    expect(checkStreamName('s'.repeat(129))).toBeDefined();
    expect(checkStreamName('')).toBeDefined();
  });
});
