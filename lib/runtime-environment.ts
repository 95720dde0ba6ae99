// Typed construct props to the functions' environment, through the config module's own mapping
// (functions/core/config), so every variable name lives there. This layer only adds what a
// deployment needs on top: values that are CloudFormation Tokens until deploy time, and messages that
// name the construct's props rather than the runtime's option paths.
import { Duration, Token, Tokenization } from 'aws-cdk-lib';
import {
  CONSUMER_SETTINGS_LIST,
  PRODUCER_SETTINGS_LIST,
  settingText,
  settingVariables,
  type ConsumerOptions,
  type ProducerOptions,
  type Setting,
} from '../functions/core/config';
import { ConfigurationError } from '../functions/core/errors';
import { describeDuration } from './validation';

/**
 * The consumer function's environment: its settings as `SKC_*` variables, the resources of the
 * deployment (queue URL, table, target function) included, which the handler reads with the env loader.
 */
export function consumerFunctionEnvironment(options: ConsumerOptions): Record<string, string> {
  return render(CONSUMER_SETTINGS_LIST, options);
}

/** The producer function's environment: its settings as `SKC_*` variables (its name and DLQ included). */
export function producerFunctionEnvironment(options: ProducerOptions): Record<string, string> {
  return render(PRODUCER_SETTINGS_LIST, options);
}

function render(settings: readonly Setting<unknown>[], options: object): Record<string, string> {
  return Object.fromEntries(
    settingVariables(settings, options).map((v) => [v.name, tokenAwareText(v.value)]),
  );
}

// A Token number is an encoded double that String() would print as a huge negative number.
function tokenAwareText(value: unknown): string {
  if (typeof value === 'number' && Token.isUnresolved(value)) return Tokenization.stringifyNumber(value);
  if (Array.isArray(value)) return value.map(tokenAwareText).join(',');
  return settingText(value);
}

/** A construct prop and the runtime setting it becomes. */
export interface SettingProp {
  /** The prop's name in messages. */
  readonly prop: string;
  readonly setting: Setting<unknown>;
  readonly value: number | boolean | string | Duration | undefined;
}

/**
 * Checks each given prop against its runtime setting's own rule, so the construct allows exactly what
 * the runtime will load. Durations are checked in the setting's unit (milliseconds). Unresolved
 * Tokens pass.
 */
export function checkSettingProps(owner: string, props: readonly SettingProp[]): void {
  for (const { prop, setting, value } of props) {
    if (value === undefined) continue;
    const isDuration = value instanceof Duration;
    if (isDuration ? value.isUnresolved() : Token.isUnresolved(value)) continue;
    const typed = isDuration ? value.toMilliseconds() : value;
    if (setting.kind.parse(typed, false) !== undefined) continue;
    const shown = isDuration
      ? `${describeDuration(value)} (${typed} ms)`
      : typeof value === 'string'
        ? JSON.stringify(value)
        : String(value);
    throw new ConfigurationError(`${owner}: ${prop} is ${shown}; it must be ${setting.kind.allowed}.`, prop);
  }
}

/** Milliseconds of a Duration for an option; a Token stays a Token (it must be in milliseconds). */
export function millis(duration: Duration | undefined): number | undefined {
  return duration?.toMilliseconds();
}
