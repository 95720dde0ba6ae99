import type { PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';

const RECORDS_MEMBER = '"Records":[';

/**
 * A PutRecords request body in Kinesis's JSON protocol, built from the body the SDK serialized with
 * no records (so every other member stays the SDK's) and the records written in with Node's native
 * base64 into one buffer of the exact size. Measured (`npm run bench -- read-path/put-records`), the
 * SDK's serializer base64-encodes byte by byte in JavaScript into a buffer it doubles as it grows,
 * costing several times the encoding itself on a 5 MiB request.
 *
 * Returns undefined when `withoutRecords` does not hold an empty Records array where expected; the
 * caller then keeps the SDK's own serialization.
 */
export function putRecordsBody(
  records: readonly PutRecordsRequestEntry[],
  withoutRecords: string | Uint8Array,
): Buffer | undefined {
  // A view, not Buffer.from(bytes): the SDK's body warns when it is treated as a string (valueOf).
  const frame =
    typeof withoutRecords === 'string'
      ? withoutRecords
      : Buffer.from(withoutRecords.buffer, withoutRecords.byteOffset, withoutRecords.byteLength).toString(
          'utf8',
        );
  const at = frame.indexOf(`${RECORDS_MEMBER}]`);
  if (at < 0) return undefined;
  const head = frame.slice(0, at + RECORDS_MEMBER.length);
  const tail = frame.slice(at + RECORDS_MEMBER.length);
  const count = records.length;
  const data = new Array<string | undefined>(count);
  const keys = new Array<string>(count);
  let size = Buffer.byteLength(head) + Buffer.byteLength(tail) + Math.max(0, count - 1);
  for (let i = 0; i < count; i++) {
    const record = records[i]!;
    // Members in the order the SDK writes them; absent ones left out, as it does.
    let members = '';
    if (record.ExplicitHashKey != null)
      members += `,"ExplicitHashKey":${JSON.stringify(record.ExplicitHashKey)}`;
    if (record.PartitionKey != null) members += `,"PartitionKey":${JSON.stringify(record.PartitionKey)}`;
    const bytes = record.Data;
    if (bytes != null) {
      const encoded = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
      data[i] = encoded;
      size += '{"Data":""'.length + encoded.length;
      keys[i] = members;
    } else {
      keys[i] = members.length ? members.slice(1) : '';
      size += 1;
    }
    size += Buffer.byteLength(keys[i]!) + 1;
  }
  const body = Buffer.allocUnsafeSlow(size);
  let offset = body.write(head, 0, 'utf8');
  for (let i = 0; i < count; i++) {
    if (i > 0) body[offset++] = 0x2c;
    const encoded = data[i];
    if (encoded !== undefined) {
      offset += body.write('{"Data":"', offset, 'latin1');
      offset += body.write(encoded, offset, 'latin1');
      body[offset++] = 0x22;
    } else {
      body[offset++] = 0x7b;
    }
    offset += body.write(keys[i]!, offset, 'utf8');
    body[offset++] = 0x7d;
  }
  offset += body.write(tail, offset, 'utf8');
  if (offset !== size) throw new Error(`PutRecords body: wrote ${offset} bytes of ${size}`);
  return body;
}
