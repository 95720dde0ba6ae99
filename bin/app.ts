#!/usr/bin/env node
// The example app: `npx cdk synth` builds it offline, `npx cdk deploy` deploys it (after `cdk bootstrap`).
// `-c alarmEmail=you@example.com` sends the alarms to that address.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EXAMPLE_PIPELINE } from './example-pipeline';
import { ExamplePipelineStack } from './example-stack';

const app = new App();
const alarmEmail: unknown = app.node.tryGetContext('alarmEmail');
new ExamplePipelineStack(app, EXAMPLE_PIPELINE.stackName, {
  description:
    'serverless-kinesis-connector example: Kinesis stream, SQS-fronted producer, scheduled consumer',
  alarmEmail: typeof alarmEmail === 'string' ? alarmEmail : undefined,
});
// Every finding of the AWS Solutions pack fails the synth unless a construct acknowledged it with a reason.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
