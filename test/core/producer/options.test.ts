import { PRODUCER_DEFAULTS } from '../../../functions/core/config/producer-settings';
import { producerConfig } from '../../../functions/core/config/producer-config';
import { ConfigurationError } from '../../../functions/core/errors';
import { DEFAULT_PRODUCER_OPTIONS, resolveProducerOptions } from '../../../functions/core/producer/options';
import { producerSettingsFromConfig } from '../../../functions/core/producer/producer';

describe('producer options', () => {
  it('share the configuration defaults for every KPL setting', () => {
    const own = new Set(['retryBaseMillis', 'retryMaxMillis', 'retryExpConst', 'shardMapTtlMillis']);
    for (const [key, value] of Object.entries(DEFAULT_PRODUCER_OPTIONS)) {
      if (own.has(key)) continue;
      expect({ key, value }).toEqual({ key, value: (PRODUCER_DEFAULTS as Record<string, unknown>)[key] });
    }
  });

  it('take every limit, the routing defaults and raw mode from a configuration', () => {
    const config = producerConfig({
      aws: { region: 'eu-west-1' },
      raw: true,
      defaultStream: 'orders',
      defaultPartitionKey: '0',
      allowedStreams: ['orders', 'audit'],
      rateLimitPercent: 50,
      aggregationMaxSizeBytes: 4096,
      threadPoolSize: 3,
    });
    const partitioner = () => ({ partitionKey: 'p' });
    const settings = producerSettingsFromConfig(config, { partitioner });
    expect(settings).toMatchObject({
      messageFormat: 'raw',
      defaultStream: 'orders',
      defaultPartitionKey: '0',
      allowedStreams: ['orders', 'audit'],
      rateLimitPercent: 50,
      aggregationMaxSizeBytes: 4096,
      threadPoolSize: 3,
      recordTtlMillis: 30000,
      partitioner,
    });
    expect(producerSettingsFromConfig(producerConfig({ aws: { region: 'us-east-1' } })).messageFormat).toBe(
      'envelope',
    );
  });

  it('refuse an out-of-range value with the setting, the value and the range', () => {
    expect(() => resolveProducerOptions({ threadPoolSize: 0 })).toThrow(ConfigurationError);
    expect(() => resolveProducerOptions({ threadPoolSize: 0 })).toThrow(
      'Producer setting threadPoolSize is 0; it must be an integer from 1 to 256.',
    );
  });
});
