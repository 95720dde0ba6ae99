import { ConfigurationError } from '../errors';
import { CONSUMER_SETTINGS_LIST, type ConsumerOptions } from './consumer-settings';
import { envVarName } from './env';
import { PRODUCER_SETTINGS_LIST, type ProducerOptions } from './producer-settings';
import type { Setting } from './validate';

// The way back from typed options to `SKC_*` variables, so whoever deploys a function (the CDK
// constructs) names the variables exactly as the env loader reads them.

/** One `SKC_*` variable for a setting given in typed options; the value is still the typed one. */
export interface SettingVariable {
  readonly name: string;
  readonly value: unknown;
  readonly setting: Setting<unknown>;
}

/**
 * The variable of every setting set in `options`, in settings order. Credentials are refused: a
 * deployed function takes its role's credentials, and secrets do not belong in its environment.
 */
export function settingVariables(settings: readonly Setting<unknown>[], options: object): SettingVariable[] {
  const aws = (options as { aws?: { credentials?: unknown } }).aws;
  if (aws?.credentials !== undefined) {
    throw new ConfigurationError(
      'aws.credentials cannot be written to environment variables; a deployed function uses its role.',
      'aws.credentials',
    );
  }
  const variables: SettingVariable[] = [];
  for (const setting of settings) {
    const value = valueAt(options, setting.path);
    if (value === undefined) continue;
    if (setting.key.endsWith(PER_STREAM) && isPlainObject(value)) {
      // A per-stream setting given as { stream: value }: one variable a stream, as the loader reads them.
      const prefix = setting.key.slice(0, -PER_STREAM.length);
      for (const [stream, each] of Object.entries(value)) {
        variables.push({ name: envVarName(`${prefix}.${stream}`), value: each, setting });
      }
      continue;
    }
    variables.push({ name: envVarName(setting.key), value, setting });
  }
  return variables;
}

/** How a setting keyed by stream ends its key. */
const PER_STREAM = '.<stream>';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** A typed value as the text the env loader reads back: lists comma-separated, dates as epoch seconds. */
export function settingText(value: unknown): string {
  if (Array.isArray(value)) return value.map(settingText).join(',');
  if (value instanceof Date) return (value.getTime() / 1000).toFixed(3);
  if (isPlainObject(value)) {
    // Never "[object Object]": a map is only written per stream (above), and nothing else takes one.
    throw new ConfigurationError(`A map cannot be written as one variable: ${JSON.stringify(value)}.`, '');
  }
  return String(value);
}

/** The `SKC_*` environment that `consumerConfigFromEnv` reads back as these options. */
export function consumerEnvironment(options: ConsumerOptions): Record<string, string> {
  return render(settingVariables(CONSUMER_SETTINGS_LIST, options));
}

/** The `SKC_*` environment that `producerConfigFromEnv` reads back as these options. */
export function producerEnvironment(options: ProducerOptions): Record<string, string> {
  return render(settingVariables(PRODUCER_SETTINGS_LIST, options));
}

function render(variables: readonly SettingVariable[]): Record<string, string> {
  return Object.fromEntries(variables.map((v) => [v.name, settingText(v.value)]));
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (const part of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
