import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { crc32 } from 'node:zlib';
import { closeServer, endpointOf, listenOnLoopback } from '../shared/node-server';

/** DynamoDB's limits on one TransactWriteItems or TransactGetItems request. */
export const TRANSACTION_MAX_ACTIONS = 100;
export const TRANSACTION_MAX_BYTES = 4 * 1024 * 1024;

const TARGET_PREFIX = 'DynamoDB_20120810.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
/** Any signed-looking request passes dynalite; its own calls need one too. */
const INTERNAL_AUTH =
  'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0';

type Json = Record<string, unknown>;
type Item = Record<string, unknown>;

/** An error answer of DynamoDB's JSON protocol. */
class DynamoDbFault extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode = 400,
    readonly extra: Json = {},
  ) {
    super(message);
  }
}

/**
 * A readers-writer lock: every ordinary call is a reader, a transaction the only writer, so no call
 * ever sees a transaction half applied.
 */
class ReadWriteLock {
  private readers = 0;
  private writer = false;
  private readonly waiting: { write: boolean; go: () => void }[] = [];

  async read<T>(fn: () => Promise<T>): Promise<T> {
    await this.enter(false);
    try {
      return await fn();
    } finally {
      this.readers--;
      this.wake();
    }
  }

  async write<T>(fn: () => Promise<T>): Promise<T> {
    await this.enter(true);
    try {
      return await fn();
    } finally {
      this.writer = false;
      this.wake();
    }
  }

  private enter(write: boolean): Promise<void> {
    // Queue behind a waiting writer so transactions are not starved by a stream of reads.
    if (!this.writer && !this.waiting.length && (write ? this.readers === 0 : true)) {
      if (write) this.writer = true;
      else this.readers++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push({ write, go: resolve }));
  }

  private wake(): void {
    while (this.waiting.length && !this.writer) {
      const next = this.waiting[0] as { write: boolean; go: () => void };
      if (next.write) {
        if (this.readers > 0) return;
        this.waiting.shift();
        this.writer = true;
        next.go();
        return;
      }
      this.waiting.shift();
      this.readers++;
      next.go();
    }
  }
}

/**
 * DynamoDB's transactions in front of dynalite, which has none. Every other call goes through to dynalite
 * unchanged. TransactWriteItems is validated as DynamoDB does (1 to 100 actions, 4 MB, one action per
 * item, one operation per action), then applied while no other call runs: each action goes to dynalite
 * with its own condition, so dynalite evaluates the expressions; when any condition fails, the actions
 * already applied are undone from their before-images and the caller gets TransactionCanceledException
 * with one reason per action, as DynamoDB answers. Conditions are evaluated on each item's state before
 * the transaction, as DynamoDB does, because no two actions touch the same item. TransactGetItems reads
 * every item while no transaction runs. Not modelled: ClientRequestToken idempotency, consumed capacity.
 */
export class DynamoDbTransactionProxy {
  private server: Server | undefined;
  private readonly agent = new Agent({ keepAlive: true });
  private readonly lock = new ReadWriteLock();
  private readonly keySchemas = new Map<string, readonly string[]>();
  private url: string | undefined;
  /** Committed and cancelled transactions, for tests. */
  readonly counts = { committed: 0, cancelled: 0 };

  constructor(private readonly target: string) {}

  get endpoint(): string {
    if (!this.url) throw new Error('The DynamoDB transaction proxy is not listening; call listen() first.');
    return this.url;
  }

  async listen(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) send(res, 500, { __type: 'InternalServerError', message: String(error) });
      });
    });
    this.url = await listenOnLoopback(this.server, port);
    return endpointOf(this.server);
  }

  async close(): Promise<void> {
    if (this.server) await closeServer(this.server);
    this.agent.destroy();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    if (operation !== 'TransactWriteItems' && operation !== 'TransactGetItems') {
      const answer = await this.lock.read(() => this.forward(req, body));
      res.writeHead(answer.statusCode, answer.headers);
      res.end(answer.body);
      return;
    }
    try {
      const input = JSON.parse(body.toString('utf8')) as Json;
      const output =
        operation === 'TransactWriteItems'
          ? await this.transactWrite(input, body.length)
          : await this.transactGet(input);
      send(res, 200, output);
    } catch (error) {
      if (error instanceof DynamoDbFault) {
        send(res, error.statusCode, {
          __type: `com.amazonaws.dynamodb.v20120810#${error.type}`,
          message: error.message,
          ...error.extra,
        });
      } else if (error instanceof SyntaxError) {
        send(res, 400, { __type: 'com.amazon.coral.service#SerializationException' });
      } else throw error;
    }
  }

  private async transactWrite(input: Json, requestBytes: number): Promise<Json> {
    const actions = validateActions(input, 'transactItems');
    if (requestBytes > TRANSACTION_MAX_BYTES) {
      throw new DynamoDbFault(
        'ValidationException',
        `Transaction size has exceeded the maximum allowed size of ${TRANSACTION_MAX_BYTES} bytes.`,
      );
    }
    const planned: { operation: string; params: Json; table: string; key: Item }[] = [];
    const seen = new Set<string>();
    for (const action of actions) {
      const ops = Object.keys(action).filter((k) =>
        ['ConditionCheck', 'Put', 'Delete', 'Update'].includes(k),
      );
      if (ops.length !== 1) {
        throw new DynamoDbFault(
          'ValidationException',
          'TransactItems can only contain one of Check, Put, Update or Delete',
        );
      }
      const operation = ops[0] as string;
      const params = action[operation] as Json;
      const table = String(params.TableName ?? '');
      const key =
        operation === 'Put'
          ? await this.keyOf(table, (params.Item ?? {}) as Item)
          : ((params.Key ?? {}) as Item);
      const id = `${table}\u0000${canonical(key)}`;
      if (seen.has(id)) {
        throw new DynamoDbFault(
          'ValidationException',
          'Transaction request cannot include multiple operations on one item',
        );
      }
      seen.add(id);
      planned.push({ operation, params, table, key });
    }
    return this.lock.write(async () => {
      const reasons: Json[] = [];
      const undo: { table: string; key: Item; before: Item | undefined }[] = [];
      let cancelled = false;
      let failure: DynamoDbFault | undefined;
      for (const { operation, params, table, key } of planned) {
        const before = await this.getItem(table, key);
        const { ReturnValuesOnConditionCheckFailure: returnOld, ...call } = params;
        try {
          if (operation === 'ConditionCheck') {
            // An update that changes nothing evaluates the condition; the before-image is put back below.
            await this.call('UpdateItem', {
              TableName: table,
              Key: key,
              ConditionExpression: call.ConditionExpression,
              ...pick(call, ['ExpressionAttributeNames', 'ExpressionAttributeValues']),
            });
          } else {
            await this.call(operation === 'Put' ? 'PutItem' : `${operation}Item`, call);
          }
          undo.push({ table, key, before });
          reasons.push({ Code: 'None' });
        } catch (error) {
          if (!(error instanceof DynamoDbFault)) throw error;
          if (error.type !== 'ConditionalCheckFailedException') {
            failure ??= error;
            reasons.push({ Code: 'ValidationError', Message: error.message });
          } else {
            reasons.push({
              Code: 'ConditionalCheckFailed',
              Message: 'The conditional request failed',
              ...(returnOld === 'ALL_OLD' && before ? { Item: before } : {}),
            });
          }
          cancelled = true;
        }
      }
      if (!cancelled) {
        this.counts.committed++;
        return {};
      }
      for (const { table, key, before } of undo.reverse()) {
        if (before) await this.call('PutItem', { TableName: table, Item: before });
        else await this.call('DeleteItem', { TableName: table, Key: key });
      }
      this.counts.cancelled++;
      if (failure && !reasons.some((r) => r.Code === 'ConditionalCheckFailed')) throw failure;
      throw new DynamoDbFault(
        'TransactionCanceledException',
        `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons
          .map((r) => r.Code)
          .join(', ')}]`,
        400,
        { CancellationReasons: reasons },
      );
    });
  }

  private async transactGet(input: Json): Promise<Json> {
    const actions = validateActions(input, 'transactItems');
    return this.lock.read(async () => {
      const responses: Json[] = [];
      for (const action of actions) {
        const get = action.Get as Json | undefined;
        if (!get) throw new DynamoDbFault('ValidationException', 'TransactGetItems can only contain Get');
        const { Item } = (await this.call('GetItem', { ...get, ConsistentRead: true })) as { Item?: Item };
        responses.push(Item ? { Item } : {});
      }
      return { Responses: responses };
    });
  }

  private async getItem(table: string, key: Item): Promise<Item | undefined> {
    const { Item } = (await this.call('GetItem', { TableName: table, Key: key, ConsistentRead: true })) as {
      Item?: Item;
    };
    return Item;
  }

  private async keyOf(table: string, item: Item): Promise<Item> {
    let names = this.keySchemas.get(table);
    if (!names) {
      const { Table } = (await this.call('DescribeTable', { TableName: table })) as {
        Table: { KeySchema: { AttributeName: string }[] };
      };
      names = Table.KeySchema.map((k) => k.AttributeName);
      this.keySchemas.set(table, names);
    }
    const key: Item = {};
    for (const name of names) key[name] = item[name];
    return key;
  }

  private async call(operation: string, input: Json): Promise<Json> {
    const body = Buffer.from(JSON.stringify(input));
    const answer = await this.send(
      {
        'content-type': CONTENT_TYPE,
        'x-amz-target': `${TARGET_PREFIX}${operation}`,
        'x-amz-date': '20260101T000000Z',
        authorization: INTERNAL_AUTH,
        'content-length': String(body.length),
      },
      body,
    );
    const output = JSON.parse(answer.body.toString('utf8') || '{}') as Json;
    if (answer.statusCode !== 200) {
      const type = String(output.__type ?? 'InternalServerError')
        .split('#')
        .pop() as string;
      throw new DynamoDbFault(type, String(output.message ?? output.Message ?? ''), answer.statusCode);
    }
    return output;
  }

  private forward(req: IncomingMessage, body: Buffer) {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && name !== 'host' && name !== 'connection')
        headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    return this.send(headers, body);
  }

  private send(
    headers: Record<string, string>,
    body: Buffer,
  ): Promise<{ statusCode: number; headers: Record<string, string | string[]>; body: Buffer }> {
    const url = new URL(this.target);
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        { host: url.hostname, port: url.port, method: 'POST', path: '/', headers, agent: this.agent },
        (response) => {
          readBody(response).then((data) => {
            const out: Record<string, string | string[]> = {};
            for (const [name, value] of Object.entries(response.headers)) {
              if (value !== undefined && name !== 'connection' && name !== 'transfer-encoding')
                out[name] = value;
            }
            resolve({ statusCode: response.statusCode ?? 500, headers: out, body: data });
          }, reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }
}

function validateActions(input: Json, member: string): Json[] {
  const actions = input.TransactItems;
  if (!Array.isArray(actions) || actions.length < 1 || actions.length > TRANSACTION_MAX_ACTIONS) {
    const length = Array.isArray(actions) ? actions.length : 0;
    throw new DynamoDbFault(
      'ValidationException',
      `1 validation error detected: Value '${length}' at '${member}' failed to satisfy constraint: ` +
        `Member must have length less than or equal to ${TRANSACTION_MAX_ACTIONS} and greater than or equal to 1`,
    );
  }
  return actions as Json[];
}

function pick(source: Json, names: readonly string[]): Json {
  const out: Json = {};
  for (const name of names) if (source[name] !== undefined) out[name] = source[name];
  return out;
}

/** The same key in any attribute order gives the same text. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function send(res: ServerResponse, statusCode: number, output: Json): void {
  const body = Buffer.from(JSON.stringify(output));
  res.writeHead(statusCode, {
    'content-type': CONTENT_TYPE,
    'content-length': String(body.length),
    'x-amz-crc32': String(crc32(body)),
    'x-amzn-requestid': crypto.randomUUID(),
  });
  res.end(body);
}
