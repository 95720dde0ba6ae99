// A custom partitioner and target-stream selector ship with the producer: the construct bundles the
// user's handler file (synth), and the handler runs them through the exported factory (runtime).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AssetStaging } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ConfigurationError } from '../../functions/core/errors';
import { KinesisProducer, KinesisStreams } from '../../lib';
import { logicalId, strictStack } from './helpers';

const ENTRY = path.join(__dirname, 'fixtures', 'producer-routing.ts');

describe('KinesisProducer with a handler entry', () => {
  const stack = strictStack();
  const streams = new KinesisStreams(stack, 'Streams', {
    streams: [{ id: 'Orders' }, { id: 'Priority', streamName: 'priority-orders' }],
  });
  const producer = new KinesisProducer(stack, 'Producer', {
    streams: streams.streams,
    handlerEntry: ENTRY,
    handlerName: 'routeOrders',
  });
  const template = Template.fromStack(stack);

  it("bundles the user's handler file, routing included, and runs the named export", () => {
    template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.routeOrders' });
    const staging = producer.function.node
      .findAll()
      .find((c): c is AssetStaging => c instanceof AssetStaging);
    const code = readFileSync(path.join(staging?.absoluteStagedPath ?? '', 'index.js'), 'utf8');
    expect(code).toContain('routing-fixture:customer-');
    expect(code).toContain('priority-orders');
    expect(logicalId(producer.function)).toMatch(/^Producer/);
  });

  it('refuses handlerName without handlerEntry', () => {
    const other = strictStack('Other');
    const s = new KinesisStreams(other, 'Streams', { streams: [{ id: 'Orders' }] });
    expect(() => new KinesisProducer(other, 'Producer', { streams: s.streams, handlerName: 'x' })).toThrow(
      ConfigurationError,
    );
    expect(() => new KinesisProducer(other, 'Producer2', { streams: s.streams, handlerName: 'x' })).toThrow(
      /handlerName is set without handlerEntry/,
    );
  });
});
