import { EventStreamCodec, type MessageHeaders } from '@smithy/eventstream-codec';

/**
 * AWS's event-stream framing (prelude, headers, payload, CRCs) as Kinesis uses it for
 * SubscribeToShard, encoded by the SDK's own codec so the client decodes exactly what it would from AWS.
 */
const codec = new EventStreamCodec(
  (bytes) => Buffer.from(bytes).toString('utf8'),
  (text) => new Uint8Array(Buffer.from(text, 'utf8')),
);

const JSON_PAYLOAD = { type: 'string', value: 'application/json' } as const;

/** An `event` message of the given type with a JSON payload. */
export function eventMessage(eventType: string, payload: unknown): Uint8Array {
  const headers: MessageHeaders = {
    ':message-type': { type: 'string', value: 'event' },
    ':event-type': { type: 'string', value: eventType },
    ':content-type': JSON_PAYLOAD,
  };
  return codec.encode({ headers, body: Buffer.from(JSON.stringify(payload)) });
}

/**
 * The first message of every subscription: the operation's non-stream output (none for
 * SubscribeToShard). The SDK waits for it before `send` resolves.
 */
export function initialResponse(): Uint8Array {
  return eventMessage('initial-response', {});
}

/** A modelled error ending the stream, e.g. `ResourceNotFoundException`, as an `exception` message. */
export function exceptionMessage(exceptionType: string, message: string): Uint8Array {
  const headers: MessageHeaders = {
    ':message-type': { type: 'string', value: 'exception' },
    ':exception-type': { type: 'string', value: exceptionType },
    ':content-type': JSON_PAYLOAD,
  };
  return codec.encode({ headers, body: Buffer.from(JSON.stringify({ message })) });
}

/** Decodes one framed message (for tests that read the raw stream). */
export function decodeMessage(frame: Uint8Array): { headers: MessageHeaders; body: Uint8Array } {
  return codec.decode(frame);
}
