import { ConfigurationError, ValidationError } from '../errors';

/** Everything a deserializer may use to turn one user record into the value the handler receives. */
export interface DeserializerInput {
  readonly data: Uint8Array;
  readonly partitionKey: string;
  readonly sequenceNumber: string;
  readonly subSequenceNumber?: number;
  readonly approximateArrivalTimestamp: Date;
  readonly stream: string;
  readonly shardId: string;
}

/**
 * Turns a record into the handler's value. Returning `undefined` or `null` skips the record: it is not
 * delivered, and the shard's position still moves past it. Throwing fails the batch.
 */
export type RecordDeserializer<T> = (input: DeserializerInput) => T | undefined | null;

const utf8 = new TextDecoder('utf-8');

/** The record's data decoded as UTF-8. */
export const stringDeserializer: RecordDeserializer<string> = ({ data }) => utf8.decode(data);

/** The record's data parsed as UTF-8 JSON; invalid JSON fails with the record's coordinates. */
export const jsonDeserializer: RecordDeserializer<unknown> = (input) => {
  const text = utf8.decode(input.data);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ValidationError(
      `Record ${input.sequenceNumber}${input.subSequenceNumber === undefined ? '' : `/${input.subSequenceNumber}`} ` +
        `of ${input.stream}/${input.shardId} is not valid JSON (${(error as Error).message}); ` +
        'use the bytes or string deserializer, or a custom one, for data that is not JSON.',
      'data',
    );
  }
};

/** The record's data as it arrived. */
export const bytesDeserializer: RecordDeserializer<Uint8Array> = ({ data }) => data;

export type DeserializerName = 'string' | 'json' | 'bytes';

/** A named deserializer (as configuration spells it) or a custom function. */
export function resolveDeserializer<T>(
  spec: DeserializerName | RecordDeserializer<T>,
): RecordDeserializer<T> {
  if (typeof spec === 'function') return spec;
  switch (spec) {
    case 'string':
      return stringDeserializer as RecordDeserializer<T>;
    case 'json':
      return jsonDeserializer as RecordDeserializer<T>;
    case 'bytes':
      return bytesDeserializer as RecordDeserializer<T>;
    default:
      throw new ConfigurationError(
        `Unknown deserializer "${String(spec)}"; use "string", "json", "bytes" or a function.`,
        'deserializer',
      );
  }
}
