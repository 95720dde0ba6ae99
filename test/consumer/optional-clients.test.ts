import { Logger } from '@aws-lambda-powertools/logger';
import { consumerConfig } from '../../functions/core/config';
import { createConsumerHandler, createLambdaTargetHandler } from '../../functions/consumer/handler-factory';
import { ConfigurationError } from '../../functions/core/errors';

// A bundle built with a client's constant defined as "false" has lost that branch; from source the
// guards read process.env at run time, so setting the variable here stands in for that define.
const CONSTANTS = [
  'CONNECTOR_BUNDLE_SSM',
  'CONNECTOR_BUNDLE_DYNAMODB',
  'CONNECTOR_BUNDLE_SQS',
  'CONNECTOR_BUNDLE_LAMBDA',
] as const;

const logger = new Logger({ logLevel: 'SILENT' });
const base = { aws: { region: 'us-east-1' }, streams: ['orders'], consumerName: 'orders' } as const;
const options = { logger, metrics: false } as const;
const ignoreRecords = () => undefined;

function leaveOut(constant: (typeof CONSTANTS)[number]): void {
  process.env[constant] = 'false';
}

afterEach(() => {
  for (const constant of CONSTANTS) delete process.env[constant];
});

/** The ConfigurationError `create` throws, or a failure when it throws none. */
function configurationError(create: () => unknown): ConfigurationError {
  try {
    create();
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('expected a ConfigurationError when the handler is created');
}

describe('a consumer bundle that left a client out', () => {
  it('fails when the handler is created, before any invocation, naming the setting and the constant', () => {
    leaveOut('CONNECTOR_BUNDLE_DYNAMODB');
    const config = consumerConfig({
      ...base,
      checkpoint: { store: 'dynamodb', dynamoDbTable: 'checkpoints' },
    });
    const error = configurationError(() => createConsumerHandler(ignoreRecords, { ...options, config }));
    expect(error.key).toBe('consumer.checkpoint.store');
    expect(error.message).toMatch(/needs the DynamoDB client/);
    expect(error.message).toContain('process.env.CONNECTOR_BUNDLE_DYNAMODB defined as "false"');
    expect(error.message).toMatch(/only with checkpointTable/);
  });

  it('refuses SSM checkpoints, an on-failure queue and a target function the same way', () => {
    leaveOut('CONNECTOR_BUNDLE_SSM');
    expect(
      configurationError(() =>
        createConsumerHandler(ignoreRecords, { ...options, config: consumerConfig(base) }),
      ).key,
    ).toBe('consumer.checkpoint.store');
    delete process.env.CONNECTOR_BUNDLE_SSM;

    leaveOut('CONNECTOR_BUNDLE_SQS');
    const queueUrl = 'https://sqs.us-east-1.amazonaws.com/111122223333/failures';
    const withQueue = consumerConfig({ ...base, onFailure: { queueUrl } });
    const queueError = configurationError(() =>
      createConsumerHandler(ignoreRecords, { ...options, config: withQueue }),
    );
    expect(queueError.key).toBe('consumer.onfailure.queueurl');
    expect(queueError.message).toContain(queueUrl);

    leaveOut('CONNECTOR_BUNDLE_LAMBDA');
    const withTarget = consumerConfig({ ...base, delivery: { targetFunction: 'processor' } });
    const targetError = configurationError(() =>
      createLambdaTargetHandler({ ...options, config: withTarget }),
    );
    expect(targetError.key).toBe('consumer.target.function');
    expect(targetError.message).toContain('process.env.CONNECTOR_BUNDLE_LAMBDA');
  });

  it('still creates a handler whose configuration uses only what the bundle kept', () => {
    leaveOut('CONNECTOR_BUNDLE_DYNAMODB');
    leaveOut('CONNECTOR_BUNDLE_LAMBDA');
    leaveOut('CONNECTOR_BUNDLE_SQS');
    // Without the Lambda client a bundle can only be scheduled: continuous mode invokes its successor.
    const scheduled = { ...base, continuous: false } as const;
    expect(
      typeof createConsumerHandler(ignoreRecords, { ...options, config: consumerConfig(scheduled) }),
    ).toBe('function');
    expect(
      configurationError(() =>
        createConsumerHandler(ignoreRecords, { ...options, config: consumerConfig(base) }),
      ).key,
    ).toBe('consumer.continuous');
    leaveOut('CONNECTOR_BUNDLE_SSM');
    delete process.env.CONNECTOR_BUNDLE_DYNAMODB;
    const dynamodb = consumerConfig({
      ...scheduled,
      checkpoint: { store: 'dynamodb', dynamoDbTable: 'checkpoints' },
    });
    expect(typeof createConsumerHandler(ignoreRecords, { ...options, config: dynamodb })).toBe('function');
  });
});
