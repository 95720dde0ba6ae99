import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { consumerConfigFromEnv } from '../../functions/core/config';
import { ConfigurationError } from '../../functions/core/errors';
import {
  EXACTLY_ONCE_STATE_ACTIONS,
  EXACTLY_ONCE_TABLE_ACTIONS,
} from '../../functions/core/exactly-once/permissions';
import { KinesisConsumer, KinesisStreams } from '../../lib';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { functionEnvironment, logicalId, roleStatements, STRICT_VALIDATION_CONTEXT } from './helpers';

/** A strict stack (cdk-nag's AwsSolutions pack, CloudFormation validation) that skips bundling: it is not under test here. */
function strictStack(): Stack {
  const app = new App({
    autoSynth: false,
    context: { ...STRICT_VALIDATION_CONTEXT, 'aws:cdk:bundling-stacks': [] },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return new Stack(app, 'Test');
}

const ENTRY = path.join(__dirname, 'fixtures', 'processor.ts');

function keyedTable(stack: Stack, id: string): dynamodb.Table {
  return new dynamodb.Table(stack, id, {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
}

describe('KinesisConsumer in exactly-once mode', () => {
  it('creates the state table or uses the one given, tells the runtime, and grants exactly the actions needed (cdk-nag clean)', () => {
    const stack = strictStack();
    const streams = new KinesisStreams(stack, 'Streams', { streams: [{ id: 'Orders' }] });
    const checkpoints = keyedTable(stack, 'Checkpoints');
    const totals = keyedTable(stack, 'Totals');
    const consumer = new KinesisConsumer(stack, 'Consumer', {
      consumerName: 'orders',
      streams: streams.streams,
      handlerEntry: ENTRY,
      handlerName: 'processRecords',
      checkpointTable: checkpoints,
      exactlyOnce: { tables: [totals] },
    });
    // A second consumer brings its own state table: none is created for it.
    const given = keyedTable(stack, 'GivenState');
    const second = new KinesisConsumer(stack, 'Second', {
      consumerName: 'orders-2',
      streams: streams.streams,
      handlerEntry: ENTRY,
      handlerName: 'processRecords',
      checkpointTable: checkpoints,
      exactlyOnce: { stateTable: given },
    });
    expect(second.stateTable).toBe(given);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::DynamoDB::Table', 4);
    const state = consumer.stateTable as dynamodb.Table;
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    const env = functionEnvironment(template, logicalId(consumer.function));
    const config = consumerConfigFromEnv({ ...env, AWS_REGION: 'eu-west-1' });
    expect(config.exactlyOnce).toEqual({ enabled: true, stateTable: logicalId(state) });
    const statements = roleStatements(template, logicalId(consumer.function.role as iam.IRole));
    const arnOf = (table: dynamodb.Table) => ({ 'Fn::GetAtt': [logicalId(table), 'Arn'] });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: [...EXACTLY_ONCE_STATE_ACTIONS],
      Resource: arnOf(state),
    });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: [...EXACTLY_ONCE_TABLE_ACTIONS],
      Resource: arnOf(totals),
    });
  });

  it('refuses exactly-once on SSM checkpoints at synth, naming both props', () => {
    const stack = strictStack();
    const streams = new KinesisStreams(stack, 'Streams', { streams: [{ id: 'Orders' }] });
    let n = 0;
    const make = () =>
      new KinesisConsumer(stack, `Consumer${n++}`, {
        consumerName: 'orders',
        streams: streams.streams,
        handlerEntry: ENTRY,
        exactlyOnce: {},
      });
    expect(make).toThrow(ConfigurationError);
    expect(make).toThrow(/exactlyOnce is set but checkpointTable is not/);
  });
});
