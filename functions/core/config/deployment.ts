import { ConfigurationError } from '../errors';

// What wires a deployed function to the resources around it: names and URLs that exist only once it
// is deployed, so they are not tuning settings (no property keys, no defaults). The CDK constructs
// write these variables and the handlers read them; the names live only here. They do not start with
// `SKC_`, which the settings loaders reserve for settings.

/** The environment variable of each deployment value. */
export const DEPLOYMENT_VARIABLES = {
  consumerName: 'CONSUMER_NAME',
  onFailureQueueUrl: 'CONSUMER_ON_FAILURE_QUEUE_URL',
  targetFunction: 'CONSUMER_TARGET_FUNCTION',
  checkpointTable: 'CONSUMER_CHECKPOINT_TABLE',
  producerName: 'PRODUCER_NAME',
  deadLetterQueueUrl: 'PRODUCER_DEAD_LETTER_QUEUE_URL',
} as const;

/** Where a deployed consumer sends its work and failures. */
export interface ConsumerDeployment {
  /** Names the consumer in logs and metrics. */
  readonly consumerName: string;
  /** Where a batch goes when delivery keeps failing. */
  readonly onFailureQueueUrl: string;
  /** The function that receives batches, when the processor does not run in-process. */
  readonly targetFunction?: string;
  /** The DynamoDB table of checkpoints and leases, instead of SSM. */
  readonly checkpointTable?: string;
}

/** Where a deployed producer sends messages it cannot use. */
export interface ProducerDeployment {
  /** Names the producer in logs and metrics. */
  readonly producerName: string;
  readonly deadLetterQueueUrl: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The variables that carry a consumer deployment. */
export function consumerDeploymentEnvironment(deployment: ConsumerDeployment): Record<string, string> {
  return variables(deployment);
}

/** The variables that carry a producer deployment. */
export function producerDeploymentEnvironment(deployment: ProducerDeployment): Record<string, string> {
  return variables(deployment);
}

/** Reads a consumer deployment; a missing required variable is a ConfigurationError naming it. */
export function consumerDeploymentFromEnv(env: Env = process.env): ConsumerDeployment {
  const optional = (field: 'targetFunction' | 'checkpointTable') => {
    const value = env[DEPLOYMENT_VARIABLES[field]]?.trim();
    return value ? { [field]: value } : {};
  };
  return {
    consumerName: required(env, 'consumerName'),
    onFailureQueueUrl: required(env, 'onFailureQueueUrl'),
    ...optional('targetFunction'),
    ...optional('checkpointTable'),
  };
}

/** Reads a producer deployment; a missing variable is a ConfigurationError naming it. */
export function producerDeploymentFromEnv(env: Env = process.env): ProducerDeployment {
  return {
    producerName: required(env, 'producerName'),
    deadLetterQueueUrl: required(env, 'deadLetterQueueUrl'),
  };
}

function variables(deployment: object): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, value] of Object.entries(deployment)) {
    if (value === undefined) continue;
    out[DEPLOYMENT_VARIABLES[field as keyof typeof DEPLOYMENT_VARIABLES]] = String(value);
  }
  return out;
}

function required(env: Env, field: keyof typeof DEPLOYMENT_VARIABLES): string {
  const name = DEPLOYMENT_VARIABLES[field];
  const value = env[name]?.trim();
  if (!value) {
    throw new ConfigurationError(
      `${name} is not set; the function's deployment (the CDK construct) must set it to its ${field}.`,
      name,
    );
  }
  return value;
}
