import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ServiceName } from '../../functions/core/aws/clients';
import { AWS_ENDPOINT_SETTINGS, AWS_SETTINGS } from '../../functions/core/config/aws-config';
import { CONSUMER_SETTINGS } from '../../functions/core/config/consumer-settings';
import { LOCAL_PROPERTIES_FILE, PROPERTIES_VARIABLE, servedByLine } from '../../cli/local-properties';
import { LOCAL_CREDENTIALS } from '../harness';
import type { ServingPipeline } from './run';
import { createKeyedTable } from '../dynamodb/tables';

/** What serving writes and prints. */
export interface ServeOutput {
  readonly write: (text: string) => void;
  /** Where the properties file goes. @default .skc/local.properties in the current directory */
  readonly propertiesFile?: string;
  /** Stops serving. */
  readonly signal: AbortSignal;
}

/** The DynamoDB checkpoint table a served pipeline offers, for `skc ... --checkpoint-table`. */
export function localCheckpointTable(consumerName: string): string {
  return `${consumerName}-checkpoints`;
}

/**
 * The properties the CLI needs to reach a served pipeline: the region, the local credentials, each
 * server's endpoint, and the consumer's streams, parallelism and checkpoint path (which `skc status` and
 * `skc reset` take as defaults).
 */
export function servedProperties(serving: ServingPipeline, pid: number): string {
  const { aws, pipeline } = serving;
  const lines = [
    servedByLine(pid),
    `${AWS_SETTINGS.region.key}=${aws.region}`,
    `aws.credentials.provider=${LOCAL_CREDENTIALS.provider}`,
    `aws.credentials.provider.basic.accesskeyid=${LOCAL_CREDENTIALS.accessKeyId}`,
    `aws.credentials.provider.basic.secretkey=${LOCAL_CREDENTIALS.secretAccessKey}`,
    ...Object.entries(aws.endpoints).map(
      ([service, endpoint]) => `${AWS_ENDPOINT_SETTINGS[service as ServiceName].key}=${endpoint}`,
    ),
    `${CONSUMER_SETTINGS.streams.key}=${pipeline.streams.map((s) => s.name).join(',')}`,
    `${CONSUMER_SETTINGS.parallelism.key}=${pipeline.consumer.parallelism}`,
    `${CONSUMER_SETTINGS.ssmPrefix.key}=${pipeline.consumer.checkpointPath}`,
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Keeps a finished run's servers and resources up for the CLI until `signal` aborts: creates the
 * consumer's DynamoDB checkpoint table (empty: the run's consumer checkpoints in SSM), writes the
 * properties file the CLI finds on its own, prints the endpoints, and removes the file at the end.
 */
export async function serveUntilStopped(serving: ServingPipeline, output: ServeOutput): Promise<void> {
  const { aws, pipeline, resources } = serving;
  const table = localCheckpointTable(pipeline.consumer.consumerName);
  await createKeyedTable(aws.clients.client('dynamodb', DynamoDBClient), table);
  const file = path.resolve(output.propertiesFile ?? LOCAL_PROPERTIES_FILE);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, servedProperties(serving, process.pid));
  try {
    const endpoints = Object.entries(aws.endpoints)
      .map(([service, endpoint]) => `  ${service.padEnd(9)} ${endpoint}`)
      .join('\n');
    output.write(
      `\nServing the local servers and the example's resources until Ctrl-C (the producer runs behind its queue; ` +
        `the consumer's schedule is stopped, so skc reset can take its leases):\n${endpoints}\n` +
        `  region    ${aws.region}\n` +
        `  streams   ${pipeline.streams.map((s) => s.name).join(', ')}\n` +
        `  consumer  ${pipeline.consumer.consumerName} (SSM checkpoints under ${pipeline.consumer.checkpointPath}; ` +
        `an empty DynamoDB checkpoint table ${table})\n` +
        `  queue     ${resources.queueUrl}\n` +
        `Properties for the CLI: ${file}\n` +
        `  skc finds them on its own when run from ${path.dirname(path.dirname(file))} ` +
        `(or set ${PROPERTIES_VARIABLE}=${file}, or pass --properties ${file}), e.g.\n` +
        `  npm run cli -- status --consumer ${pipeline.consumer.consumerName}\n`,
    );
    await new Promise<void>((resolve) => {
      if (output.signal.aborted) resolve();
      else output.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    rmSync(file, { force: true });
  }
}
