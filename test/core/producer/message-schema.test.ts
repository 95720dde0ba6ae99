import Ajv2020 from 'ajv/dist/2020';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENVELOPE_FIELDS, parseMessage } from '../../../functions/core/producer/message-contract';

const schema = JSON.parse(
  readFileSync(join(__dirname, '../../../schema/producer-message.schema.json'), 'utf8'),
) as {
  properties: Record<string, unknown>;
  examples: unknown[];
};
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);

function parserAccepts(body: unknown): boolean {
  return parseMessage({ messageId: 'm', body: JSON.stringify(body) }).ok;
}

describe('the published JSON schema of the message envelope', () => {
  it('names exactly the fields the parser knows', () => {
    expect(Object.keys(schema.properties).sort()).toEqual([...ENVELOPE_FIELDS].sort());
  });

  it('accepts its own examples, which the parser accepts too', () => {
    for (const example of schema.examples) {
      expect(validate(example)).toBe(true);
      expect(parserAccepts(example)).toBe(true);
    }
  });

  it.each([
    [{ data: 'x' }],
    [{ data: null }],
    [{ data: [1, { a: 2 }], encoding: 'json' }],
    [{ data: 5, encoding: 'utf8' }],
    [{ data: 'abc', encoding: 'base64' }],
    [{ data: 'AAEC', encoding: 'base64' }],
    [{ data: {}, encoding: 'base64' }],
    [{ data: 'x', encoding: 'hex' }],
    [{ partitionKey: 'k' }],
    [{ data: 'x', partitionKey: '' }],
    [{ data: 'x', partitionKey: 'k'.repeat(257) }],
    [{ data: 'x', explicitHashKey: '01' }],
    [{ data: 'x', explicitHashKey: 12 }],
    [{ data: 'x', stream: 'a b' }],
    [{ data: 'x', Stream: 'a' }],
    [[{ data: 'x' }]],
    ['text'],
  ])('agrees with the parser on %j', (body) => {
    expect(validate(body)).toBe(parserAccepts(body));
  });

  it('agrees with the parser on generated envelopes, outside the two gaps it documents', () => {
    const envelope = fc.record(
      {
        data: fc.oneof(fc.string(), fc.base64String(), fc.jsonValue()),
        encoding: fc.constantFrom('utf8', 'base64', 'json', 'hex'),
        partitionKey: fc.oneof(fc.string({ maxLength: 300 }), fc.integer()),
        explicitHashKey: fc.oneof(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map(String), fc.string()),
        stream: fc.oneof(fc.stringMatching(/^[a-zA-Z0-9_.-]{1,130}$/), fc.string()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(envelope, (body) => {
        // The documented gaps: UTF-16 length and lone surrogates in partition keys.
        fc.pre(typeof body.partitionKey !== 'string' || !/[\uD800-\uDFFF]/.test(body.partitionKey));
        fc.pre(typeof body.data !== 'string' || !/[\uD800-\uDFFF]/.test(body.data));
        expect(validate(body)).toBe(parserAccepts(body));
      }),
      { numRuns: 500 },
    );
  });
});
