import {
  checkpointStreamKey,
  parseStreamArn,
  streamOfCheckpointKey,
  streamTarget,
} from '../../../functions/core/aws/stream-ref';
import { parseShardKey, shardKey } from '../../../functions/core/checkpoints/checkpoint-store';
import { decodeCheckpointValue, encodeCheckpointValue } from '../../../functions/core/checkpoints/encoding';
import { consumerConfig, consumerConfigFromProperties, producerConfig } from '../../../functions/core/config';
import { problemsOf } from '../../support/config-errors';

const ARN = 'arn:aws:kinesis:us-east-1:111122223333:stream/orders';

describe('streams by ARN', () => {
  it('addresses a stream given by ARN with StreamARN and one given by name with StreamName', () => {
    expect(streamTarget(ARN)).toEqual({ StreamARN: ARN });
    expect(streamTarget('orders')).toEqual({ StreamName: 'orders' });
    expect(parseStreamArn(ARN)).toEqual({
      arn: ARN,
      partition: 'aws',
      region: 'us-east-1',
      account: '111122223333',
      name: 'orders',
    });
  });

  it("keys an ARN's checkpoints by name and account, apart from the same name, and reads them back", () => {
    const other = 'arn:aws:kinesis:us-east-1:444455556666:stream/orders';
    expect(checkpointStreamKey('orders')).toBe('orders');
    expect(checkpointStreamKey(ARN)).toBe('orders@111122223333');
    expect(new Set([shardKey('orders', 's'), shardKey(ARN, 's'), shardKey(other, 's')]).size).toBe(3);
    expect(parseShardKey(shardKey(ARN, 'shardId-000000000007'))).toEqual({
      streamName: 'orders@111122223333',
      shardId: 'shardId-000000000007',
    });
    expect(streamOfCheckpointKey('orders@111122223333', 'us-east-1')).toBe(ARN);
    expect(streamOfCheckpointKey('orders', 'us-east-1')).toBe('orders');
    expect(streamOfCheckpointKey('orders@111122223333', 'cn-north-1')).toBe(
      'arn:aws-cn:kinesis:cn-north-1:111122223333:stream/orders',
    );

    const shards = new Map([
      [shardKey(ARN, 'shardId-000000000001'), { kind: 'shard-end' } as const],
      [shardKey('orders', 'shardId-000000000001'), { kind: 'pinned', timestampMillis: 5 } as const],
    ]);
    const decoded = decodeCheckpointValue(
      encodeCheckpointValue({ generation: 2, writtenAt: 9, shards }),
      'test',
    );
    expect(decoded.shards).toEqual(shards);
  });

  it('accepts ARNs in the consumer and producer configuration', () => {
    const config = consumerConfig({ streams: ['orders', ARN], aws: { region: 'us-east-1' } });
    expect(config.streams).toEqual(['orders', ARN]);
    const producer = producerConfig({
      defaultStream: ARN,
      allowedStreams: [ARN],
      aws: { region: 'us-east-1' },
    });
    expect(producer.defaultStream).toBe(ARN);
  });

  it('refuses a malformed ARN at load, naming the key, the value and what is allowed', () => {
    const bad = 'arn:aws:kinesis:us-east-1:1111:stream/orders';
    expect(
      problemsOf(() => consumerConfigFromProperties({ 'aws.region': 'us-east-1', streams: bad })),
    ).toEqual([
      `streams must be a list of distinct streams, each a stream name (1 to 128 letters, digits, "_", "." or "-") ` +
        `or a stream ARN (arn:<partition>:kinesis:<region>:<12-digit account>:stream/<name>), comma-separated in text; got "${bad}".`,
    ]);
  });

  it("refuses a stream ARN in another region than the client's, at load", () => {
    const elsewhere = 'arn:aws:kinesis:eu-west-1:111122223333:stream/orders';
    const [consumerProblem] = problemsOf(() =>
      consumerConfigFromProperties({ 'aws.region': 'us-east-1', streams: `orders,${elsewhere}` }),
    );
    expect(consumerProblem).toMatch(
      new RegExp(`^streams is "${elsewhere}", a stream in eu-west-1, but the client's region is us-east-1`),
    );
    const [producerProblem] = problemsOf(() =>
      producerConfig({ allowedStreams: [elsewhere], aws: { region: 'us-east-1' } }),
    );
    expect(producerProblem).toMatch(
      /^allowedStreams is ".*", a stream in eu-west-1, but the client's region is us-east-1/,
    );
  });

  it('takes an EFO consumer ARN keyed by the stream name for a stream given by ARN', () => {
    const consumerArn = `${ARN}/consumer/app:1700000000`;
    const config = consumerConfigFromProperties({
      'aws.region': 'us-east-1',
      streams: ARN,
      'flink.stream.recordpublisher': 'EFO',
      'flink.stream.efo.registration': 'NONE',
      'flink.stream.efo.consumerarn.orders': consumerArn,
    });
    expect(config.efo.consumerArns).toEqual({ orders: consumerArn });
  });

  it('matches consumer.efo.consumerarns to streams by the stream ARN each begins with', () => {
    const own = 'arn:aws:kinesis:us-east-1:444455556666:stream/audit/consumer/app:1700000001';
    const shared = `${ARN}/consumer/app:1700000000`;
    const config = consumerConfigFromProperties({
      'aws.region': 'us-east-1',
      streams: `audit,${ARN}`,
      'flink.stream.recordpublisher': 'EFO',
      'flink.stream.efo.registration': 'NONE',
      'consumer.efo.consumerarns': `${shared},${own}`,
    });
    expect(config.efo.consumerArns).toEqual({ [ARN]: shared, audit: own });
    const stray = 'arn:aws:kinesis:us-east-1:111122223333:stream/refunds/consumer/app:1';
    expect(
      problemsOf(() =>
        consumerConfigFromProperties({
          'aws.region': 'us-east-1',
          streams: ARN,
          'consumer.efo.consumerarns': stray,
        }),
      ),
    ).toEqual([`consumer.efo.consumerarns has ${stray}, a consumer of a stream the consumer does not read.`]);
  });
});
