import { DEPLOYMENT_VARIABLES } from '../../../functions/core/config';
import { consumerConfigFromDeployment } from '../../../functions/core/consumer/handler-factory';
import { ConfigurationError } from '../../../functions/core/errors';

const BASE = { SKC_STREAMS: 'orders', AWS_REGION: 'eu-west-1' };

describe('consumerConfigFromDeployment', () => {
  it('reads the variables the CDK construct sets as the settings they stand for', () => {
    const config = consumerConfigFromDeployment({
      ...BASE,
      [DEPLOYMENT_VARIABLES.consumerName]: 'orders-app',
      [DEPLOYMENT_VARIABLES.onFailureQueueUrl]:
        'https://sqs.eu-west-1.amazonaws.com/123456789012/orders-failed',
      [DEPLOYMENT_VARIABLES.targetFunction]: 'arn:aws:lambda:eu-west-1:123456789012:function:process-orders',
      [DEPLOYMENT_VARIABLES.checkpointTable]: 'orders-checkpoints',
    });
    expect(config.consumerName).toBe('orders-app');
    expect(config.onFailure.queueUrl).toBe('https://sqs.eu-west-1.amazonaws.com/123456789012/orders-failed');
    expect(config.delivery.targetFunction).toBe(
      'arn:aws:lambda:eu-west-1:123456789012:function:process-orders',
    );
    expect(config.checkpoint).toMatchObject({ store: 'dynamodb', dynamoDbTable: 'orders-checkpoints' });
  });

  it('is the SKC_ settings alone without them', () => {
    const config = consumerConfigFromDeployment(BASE);
    expect(config.checkpoint.store).toBe('ssm');
    expect(config.onFailure.queueUrl).toBeUndefined();
    expect(config.consumerName).toBe('kinesis-consumer');
  });

  it('refuses a value given both as a deployment variable and as a setting', () => {
    expect(() =>
      consumerConfigFromDeployment({
        ...BASE,
        [DEPLOYMENT_VARIABLES.consumerName]: 'a',
        SKC_CONSUMER_NAME: 'b',
      }),
    ).toThrow(ConfigurationError);
  });
});
