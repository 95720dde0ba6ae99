#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { OrdersStack } from '../lib/orders-stack';

const app = new App();
new OrdersStack(app, 'OrdersApp', {
  description: 'Orders through Kinesis with serverless-kinesis-connector',
});
