/**
 * A Kinesis endpoint that answers from pre-built responses, run as a child process of the read-path
 * benchmark so that its CPU time is not charged to the client being measured. The parent sends each
 * response body over IPC; every GetRecords call gets the current one, with a fresh iterator.
 *
 * Messages from the parent: `{ type: 'getRecords', body: string, contentType: string }`; the child
 * answers `{ type: 'ready', port }` once listening and `{ type: 'set' }` after each body is stored.
 */
import { createServer } from 'node:http';

let getRecordsBody = Buffer.from('{"Records":[],"NextShardIterator":"it-1","MillisBehindLatest":0}');
let getRecordsType = 'application/x-amz-json-1.1';

const LIST_SHARDS = Buffer.from(
  JSON.stringify({
    Shards: [
      {
        ShardId: 'shardId-000000000000',
        HashKeyRange: { StartingHashKey: '0', EndingHashKey: '340282366920938463463374607431768211455' },
        SequenceNumberRange: { StartingSequenceNumber: '1' },
      },
    ],
  }),
);
const SHARD_ITERATOR = Buffer.from('{"ShardIterator":"it-0"}');

const server = createServer((request, response) => {
  const target = String(request.headers['x-amz-target'] ?? '');
  const operation = target.slice(target.indexOf('.') + 1);
  // Only PutRecords needs its request read (to answer each record); other bodies are drained.
  const chunks: Buffer[] = [];
  if (operation === 'PutRecords') request.on('data', (chunk: Buffer) => chunks.push(chunk));
  else request.resume();
  request.on('end', () => {
    const body =
      operation === 'PutRecords'
        ? putRecordsAnswer(Buffer.concat(chunks))
        : operation === 'GetRecords'
          ? getRecordsBody
          : operation === 'ListShards'
            ? LIST_SHARDS
            : operation === 'GetShardIterator'
              ? SHARD_ITERATOR
              : undefined;
    if (!body) {
      response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ __type: 'UnknownOperationException', message: operation }));
      return;
    }
    response.writeHead(200, {
      'content-type': operation === 'GetRecords' ? getRecordsType : 'application/x-amz-json-1.1',
      'content-length': body.length,
      'x-amzn-requestid': 'bench',
    });
    response.end(body);
  });
});
server.keepAliveTimeout = 60_000;

/** Every record accepted, in order. */
function putRecordsAnswer(request: Buffer): Buffer {
  const count = (JSON.parse(request.toString()) as { Records: unknown[] }).Records.length;
  const records = Array.from({ length: count }, (_, i) => ({
    SequenceNumber: String(
      49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n + BigInt(i),
    ),
    ShardId: 'shardId-000000000000',
  }));
  return Buffer.from(JSON.stringify({ FailedRecordCount: 0, Records: records }));
}

process.on('message', (message: { type: string; body?: string; contentType?: string }) => {
  if (message.type === 'getRecords') {
    getRecordsBody = Buffer.from(message.body ?? '', 'base64');
    getRecordsType = message.contentType ?? getRecordsType;
    process.send?.({ type: 'set' });
  }
});
process.on('disconnect', () => server.close(() => process.exit(0)));

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 });
});
