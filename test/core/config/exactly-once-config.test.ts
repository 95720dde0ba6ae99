import { consumerConfigFromEnv, consumerConfigFromProperties } from '../../../functions/core/config';
import { problemsOf } from '../../support/config-errors';

const BASE = { 'aws.region': 'us-east-1', streams: 'orders' };
const DYNAMODB = {
  'consumer.checkpoint.store': 'dynamodb',
  'consumer.checkpoint.dynamodb.table': 'connector-checkpoints',
  'consumer.name': 'orders-app',
};

describe('exactly-once settings', () => {
  it('is off by default, with no state table', () => {
    expect(consumerConfigFromProperties(BASE).exactlyOnce).toEqual({ enabled: false });
  });

  it('turns on with the DynamoDB store and a state table, from properties or SKC_ variables', () => {
    expect(
      consumerConfigFromProperties({
        ...BASE,
        ...DYNAMODB,
        'consumer.exactlyonce': 'true',
        'consumer.state.dynamodb.table': 'orders-state',
      }).exactlyOnce,
    ).toEqual({ enabled: true, stateTable: 'orders-state' });
    expect(
      consumerConfigFromEnv({
        SKC_AWS_REGION: 'us-east-1',
        SKC_STREAMS: 'orders',
        SKC_CONSUMER_CHECKPOINT_STORE: 'dynamodb',
        SKC_CONSUMER_CHECKPOINT_DYNAMODB_TABLE: 'connector-checkpoints',
        SKC_CONSUMER_NAME: 'orders-app',
        SKC_CONSUMER_EXACTLYONCE: 'true',
        SKC_CONSUMER_STATE_DYNAMODB_TABLE: 'orders-state',
      }).exactlyOnce,
    ).toEqual({ enabled: true, stateTable: 'orders-state' });
  });

  it('refuses exactly-once on SSM checkpoints, naming both settings, and asks for the state table', () => {
    expect(
      problemsOf(() => consumerConfigFromProperties({ ...BASE, 'consumer.exactlyonce': 'true' })),
    ).toEqual([
      'consumer.exactlyonce is true but consumer.checkpoint.store is ssm: exactly-once commits the state with the ' +
        'checkpoint in one DynamoDB transaction fenced by the lease, which SSM cannot do. Set ' +
        'consumer.checkpoint.store to dynamodb.',
      'consumer.state.dynamodb.table is required when consumer.exactlyonce is true: name the state table.',
    ]);
  });

  it('names the SKC_ variables when the configuration came from the environment', () => {
    expect(
      problemsOf(() =>
        consumerConfigFromEnv({
          SKC_AWS_REGION: 'us-east-1',
          SKC_STREAMS: 'orders',
          SKC_CONSUMER_EXACTLYONCE: 'true',
          SKC_CONSUMER_STATE_DYNAMODB_TABLE: 'orders-state',
        }),
      )[0],
    ).toContain('SKC_CONSUMER_EXACTLYONCE is true but SKC_CONSUMER_CHECKPOINT_STORE is ssm');
  });

  it('refuses a state table without exactly-once mode, and a bad table name', () => {
    expect(
      problemsOf(() => consumerConfigFromProperties({ ...BASE, 'consumer.state.dynamodb.table': 's-t' })),
    ).toEqual(['consumer.state.dynamodb.table is only used when consumer.exactlyonce is true.']);
    expect(
      problemsOf(() =>
        consumerConfigFromProperties({
          ...BASE,
          ...DYNAMODB,
          'consumer.exactlyonce': 'true',
          'consumer.state.dynamodb.table': 'x',
        }),
      )[0],
    ).toContain('consumer.state.dynamodb.table');
  });
});
