import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TABLE_KEY } from '../../functions/core/checkpoints/table-key';

/**
 * Creates an on-demand table keyed as the runtime's checkpoint and state tables are (string `pk` and
 * `sk`), on the local DynamoDB: what the construct creates when deployed.
 */
export async function createKeyedTable(
  dynamodb: Pick<DynamoDBClient, 'send'>,
  tableName: string,
): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: TABLE_KEY.partition, AttributeType: 'S' },
        { AttributeName: TABLE_KEY.sort, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: TABLE_KEY.partition, KeyType: 'HASH' },
        { AttributeName: TABLE_KEY.sort, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}
