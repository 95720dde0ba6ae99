import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { Command, Option } from 'commander';
import {
  ProducerClient,
  type ProducerRecord,
  type SendOutcome,
} from '../../functions/core/producer/producer-client';
import type { MessageFormat } from '../../functions/core/producer/message-contract';
import { withContext } from '../command';
import type { CommandContext } from '../context';
import { CliError, UsageError } from '../errors';
import { readInput, type InputRecord } from '../input';
import { println, type CliIo } from '../io';
import { startProgress } from '../output';

interface SendOptions {
  readonly queueUrl?: string;
  readonly queue?: string;
  readonly file?: string;
  readonly stream?: string;
  readonly partitionKey?: string;
  readonly json?: boolean;
  readonly messageFormat: MessageFormat;
}

/** Records per ProducerClient call, so the progress bar moves. */
const CHUNK = 100;
/** How many failed records are listed one by one. */
const LISTED_FAILURES = 10;

export function sendCommand(io: CliIo): Command {
  return new Command('send')
    .description(
      "Send records through the producer's SQS queue (the producer function writes them to the stream): each " +
        'argument is a record, else each line of --file or of stdin.',
    )
    .argument('[data...]', 'records, one per argument')
    .option('--queue-url <url>', "the producer's queue")
    .option('--queue <name>', "the producer's queue by name, in the region (instead of --queue-url)")
    .option('--file <path>', 'one record per line; - reads stdin')
    .option('--stream <name>', "the target stream, a name or an ARN (default: the producer's default stream)")
    .option('--partition-key <key>', 'the partition key of every record (default: the producer chooses)')
    .option('--json', 'each record is JSON, sent as a JSON value rather than as text')
    .addOption(
      new Option('--message-format <format>', "the producer's message format (producer setting)")
        .choices(['envelope', 'raw'])
        .default('envelope'),
    )
    .action(withContext<SendOptions>(io, send));
}

/** The queue's URL: --queue-url as given, or --queue's name looked up (GetQueueUrl). */
async function resolveQueueUrl(ctx: CommandContext, options: SendOptions): Promise<string> {
  if ((options.queueUrl === undefined) === (options.queue === undefined)) {
    throw new UsageError("Give the producer's queue with either --queue-url <url> or --queue <name>.");
  }
  if (options.queueUrl !== undefined) return options.queueUrl;
  try {
    const { QueueUrl } = await ctx.sqs().send(new GetQueueUrlCommand({ QueueName: options.queue }));
    if (QueueUrl) return QueueUrl;
  } catch (error) {
    const name = (error as Error).name;
    if (name !== 'QueueDoesNotExist' && name !== 'AWS.SimpleQueueService.NonExistentQueue') throw error;
  }
  throw new CliError(
    `Queue "${options.queue}" does not exist in ${ctx.where('sqs')}; check the name and --region, or give --queue-url.`,
  );
}

async function send(ctx: CommandContext, options: SendOptions, args: readonly unknown[]): Promise<void> {
  const inputs = await readInput(ctx.io, (args[0] as string[] | undefined) ?? [], options.file);
  const records = inputs.map((input) => toRecord(input, options));
  const queueUrl = await resolveQueueUrl(ctx, options);
  const attributes = await queueAttributes(ctx, queueUrl);
  const client = new ProducerClient({
    sqs: ctx.sqs(),
    queueUrl,
    fifo: attributes.fifo,
    messageFormat: options.messageFormat,
    ...(attributes.maxMessageBytes ? { maxMessageBytes: attributes.maxMessageBytes } : {}),
    clock: ctx.clock,
    random: ctx.random,
  });
  const outcomes: SendOutcome[] = [];
  const progress = startProgress(ctx.io, 'Sending records', records.length, CHUNK + 1);
  for (let start = 0; start < records.length; start += CHUNK) {
    const result = await client.send(records.slice(start, start + CHUNK));
    for (const outcome of result.outcomes) outcomes.push({ ...outcome, index: outcome.index + start });
    progress.increment(result.outcomes.length);
  }
  progress.stop();
  const failed = outcomes.filter((o): o is Extract<SendOutcome, { accepted: false }> => !o.accepted);
  println(
    ctx.io.stdout,
    `Sent ${records.length} record(s) to ${queueUrl}: ${records.length - failed.length} accepted, ${failed.length} failed.`,
  );
  if (failed.length === 0) return;
  for (const f of failed.slice(0, LISTED_FAILURES)) {
    println(ctx.io.stderr, `${inputs[f.index]?.origin}: ${f.code}: ${f.error}`);
  }
  if (failed.length > LISTED_FAILURES)
    println(ctx.io.stderr, `... and ${failed.length - LISTED_FAILURES} more.`);
  throw new CliError(
    `${failed.length} record(s) were not accepted by the queue` +
      (failed.some((f) => f.retryable) ? '; those marked retryable may be sent again.' : '.'),
  );
}

function toRecord(input: InputRecord, options: SendOptions): ProducerRecord {
  let data: unknown = input.text;
  if (options.json) {
    try {
      data = JSON.parse(input.text) as unknown;
    } catch (error) {
      throw new UsageError(
        `The record from ${input.origin} is not JSON (--json was given): ${(error as Error).message}.`,
      );
    }
  }
  return {
    data,
    ...(options.partitionKey !== undefined ? { partitionKey: options.partitionKey } : {}),
    ...(options.stream !== undefined ? { stream: options.stream } : {}),
  };
}

/** Checks the queue exists (a clear message beats a failure per record) and reads its limits. */
async function queueAttributes(
  ctx: CommandContext,
  queueUrl: string,
): Promise<{ fifo: boolean; maxMessageBytes?: number }> {
  try {
    // 'All': SQS refuses FifoQueue by name on a standard queue.
    const { Attributes = {} } = await ctx
      .sqs()
      .send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));
    const max = Number(Attributes.MaximumMessageSize);
    return { fifo: Attributes.FifoQueue === 'true', ...(max > 0 ? { maxMessageBytes: max } : {}) };
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue') {
      throw new CliError(
        `Queue ${queueUrl} does not exist in ${ctx.where('sqs')}; check --queue-url and --region.`,
      );
    }
    throw error;
  }
}
