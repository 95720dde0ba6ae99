import {
  bytesDeserializer,
  jsonDeserializer,
  resolveDeserializer,
  stringDeserializer,
  type DeserializerInput,
} from '../../../functions/core/consumer/deserializers';
import { ConfigurationError, ValidationError } from '../../../functions/core/errors';

function input(text: string): DeserializerInput {
  return {
    data: new TextEncoder().encode(text),
    partitionKey: 'pk',
    sequenceNumber: '42',
    subSequenceNumber: 3,
    approximateArrivalTimestamp: new Date(0),
    stream: 'orders',
    shardId: 'shardId-000000000001',
  };
}

describe('deserializers', () => {
  it('decodes UTF-8, parses JSON and passes bytes through', () => {
    expect(stringDeserializer(input('héllo'))).toBe('héllo');
    expect(jsonDeserializer(input('{"a":[1,2]}'))).toEqual({ a: [1, 2] });
    expect(bytesDeserializer(input('xy'))).toEqual(new TextEncoder().encode('xy'));
  });

  it('fails invalid JSON naming the stream, shard, sequence and sub-sequence number', () => {
    expect(() => jsonDeserializer(input('{nope'))).toThrow(ValidationError);
    expect(() => jsonDeserializer(input('{nope'))).toThrow(
      /Record 42\/3 of orders\/shardId-000000000001 is not valid JSON/,
    );
  });

  it('resolves names and passes custom functions through', () => {
    const custom = (i: DeserializerInput) => `${i.stream}:${i.partitionKey}`;
    expect(resolveDeserializer(custom)(input(''))).toBe('orders:pk');
    expect(resolveDeserializer('json')(input('7'))).toBe(7);
    expect(() => resolveDeserializer('xml' as 'json')).toThrow(ConfigurationError);
    expect(() => resolveDeserializer('xml' as 'json')).toThrow(/Unknown deserializer "xml"/);
  });
});
