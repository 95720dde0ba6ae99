import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactGetItemsCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { useLocalAws } from '../../support/local-aws';

const aws = useLocalAws({ dynamodb: { transactions: true } });
const TABLE = 'accounts';
let client: DynamoDBClient;

beforeAll(async () => {
  client = aws().clients.client('dynamodb', DynamoDBClient);
  await client.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
});

async function balance(id: string): Promise<number | undefined> {
  const { Item } = await client.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: id } } }));
  return Item?.balance?.N === undefined ? undefined : Number(Item.balance.N);
}

function transfer(from: string, to: string, amount: number): TransactWriteItem[] {
  return [
    {
      Update: {
        TableName: TABLE,
        Key: { id: { S: from } },
        UpdateExpression: 'SET balance = balance - :a',
        ConditionExpression: 'balance >= :a',
        ExpressionAttributeValues: { ':a': { N: String(amount) } },
      },
    },
    {
      Update: {
        TableName: TABLE,
        Key: { id: { S: to } },
        UpdateExpression: 'SET balance = if_not_exists(balance, :zero) + :a',
        ExpressionAttributeValues: { ':a': { N: String(amount) }, ':zero': { N: '0' } },
      },
    },
  ];
}

describe('DynamoDB transactions on the local stack', () => {
  it('commits every action of a transaction together', async () => {
    await client.send(
      new PutItemCommand({ TableName: TABLE, Item: { id: { S: 'a' }, balance: { N: '10' } } }),
    );
    await client.send(new TransactWriteItemsCommand({ TransactItems: transfer('a', 'b', 4) }));
    expect(await balance('a')).toBe(6);
    expect(await balance('b')).toBe(4);
  });

  it('cancels the whole transaction when one condition fails, with one reason per action', async () => {
    await client.send(
      new PutItemCommand({ TableName: TABLE, Item: { id: { S: 'c' }, balance: { N: '1' } } }),
    );
    const error = await client
      .send(
        new TransactWriteItemsCommand({
          TransactItems: [
            // Applied first, so undoing it is what keeps "d" absent.
            { Put: { TableName: TABLE, Item: { id: { S: 'd' }, balance: { N: '100' } } } },
            {
              ...transfer('c', 'e', 5)[0],
              Update: {
                ...transfer('c', 'e', 5)[0]!.Update!,
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
          ],
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionCanceledException);
    const reasons = (error as TransactionCanceledException).CancellationReasons ?? [];
    expect(reasons.map((r) => r.Code)).toEqual(['None', 'ConditionalCheckFailed']);
    expect(reasons[1]?.Item?.balance?.N).toBe('1');
    expect(await balance('c')).toBe(1);
    expect(await balance('d')).toBeUndefined();
  });

  it('checks a condition on an item without changing it', async () => {
    await client.send(
      new PutItemCommand({ TableName: TABLE, Item: { id: { S: 'f' }, balance: { N: '3' } } }),
    );
    const check = (min: number): TransactWriteItem => ({
      ConditionCheck: {
        TableName: TABLE,
        Key: { id: { S: 'f' } },
        ConditionExpression: 'balance >= :m',
        ExpressionAttributeValues: { ':m': { N: String(min) } },
      },
    });
    const put: TransactWriteItem = {
      Put: { TableName: TABLE, Item: { id: { S: 'g' }, balance: { N: '1' } } },
    };
    await expect(
      client.send(new TransactWriteItemsCommand({ TransactItems: [check(5), put] })),
    ).rejects.toThrow(TransactionCanceledException);
    expect(await balance('g')).toBeUndefined();
    await client.send(new TransactWriteItemsCommand({ TransactItems: [check(3), put] }));
    expect(await balance('g')).toBe(1);
    const { Item } = await client.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: 'f' } } }));
    expect(Item).toEqual({ id: { S: 'f' }, balance: { N: '3' } });
  });

  it('refuses two actions on one item and more than 100 actions, as DynamoDB does', async () => {
    const twice = client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: TABLE, Item: { id: { S: 'h' } } } },
          { Delete: { TableName: TABLE, Key: { id: { S: 'h' } } } },
        ],
      }),
    );
    await expect(twice).rejects.toMatchObject({ name: 'ValidationException' });
    const many = Array.from({ length: 101 }, (_, i) => ({
      Put: { TableName: TABLE, Item: { id: { S: `m${i}` } } },
    }));
    await expect(client.send(new TransactWriteItemsCommand({ TransactItems: many }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    expect(await balance('m0')).toBeUndefined();
  });

  it('reads several items at once with TransactGetItems', async () => {
    const { Responses } = await client.send(
      new TransactGetItemsCommand({
        TransactItems: [
          { Get: { TableName: TABLE, Key: { id: { S: 'a' } } } },
          { Get: { TableName: TABLE, Key: { id: { S: 'nobody' } } } },
        ],
      }),
    );
    expect(Responses?.[0]?.Item?.balance?.N).toBe('6');
    expect(Responses?.[1]?.Item).toBeUndefined();
  });

  it('never lets a reader see a transaction half applied', async () => {
    await client.send(
      new PutItemCommand({ TableName: TABLE, Item: { id: { S: 'x' }, balance: { N: '50' } } }),
    );
    await client.send(
      new PutItemCommand({ TableName: TABLE, Item: { id: { S: 'y' }, balance: { N: '50' } } }),
    );
    const transfers = Array.from({ length: 20 }, (_, i) =>
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: i % 2 ? transfer('x', 'y', 1) : transfer('y', 'x', 1),
        }),
      ),
    );
    const totals: number[] = [];
    const reads = Array.from({ length: 20 }, async () => {
      const { Responses } = await client.send(
        new TransactGetItemsCommand({
          TransactItems: ['x', 'y'].map((id) => ({ Get: { TableName: TABLE, Key: { id: { S: id } } } })),
        }),
      );
      totals.push(Responses!.reduce((n, r) => n + Number(r.Item?.balance?.N ?? 0), 0));
    });
    await Promise.all([...transfers, ...reads]);
    expect(new Set(totals)).toEqual(new Set([100]));
    expect((await balance('x'))! + (await balance('y'))!).toBe(100);
  });
});
