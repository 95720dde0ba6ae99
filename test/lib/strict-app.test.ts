import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { strictStack } from './helpers';

// The other construct tests rely on these checks running on every synth; prove both are live.
describe('the strict test app', () => {
  it('fails synth when the CloudFormation validation bundled with aws-cdk-lib rejects a template', () => {
    const stack = strictStack();
    new sqs.CfnQueue(stack, 'Queue', { visibilityTimeout: 99_999 });
    expect(() => Template.fromStack(stack)).toThrow(
      /VisibilityTimeout: 99999 is greater than the maximum of 43200 \(CloudFormation Validate\)/,
    );
  });

  it('fails synth on an unacknowledged cdk-nag AwsSolutions finding', () => {
    const stack: Stack = strictStack();
    new sqs.Queue(stack, 'Queue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    expect(() => Template.fromStack(stack)).toThrow(/AwsSolutions-SQS/);
  });
});
