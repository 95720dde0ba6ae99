import type { Logger } from '@aws-lambda-powertools/logger';
import {
  GetParametersByPathCommand,
  PutParameterCommand,
  type Parameter,
  type ParameterTier,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { warnOnRetry, withRetries, type BackoffSettings } from '../aws/retry';
import { ConfigurationError } from '../errors';
import type { Clock, Random } from '../time/clock';
import type { CheckpointStore, CheckpointValue, StoredCheckpoint } from './checkpoint-store';
import { decodeCheckpointValue, encodeCheckpointParts } from './encoding';
import { ssmCheckpointParameter, ssmLeaseParameter } from './checkpoint-path';

/** SSM's value limits per tier, in bytes; Intelligent-Tiering stores a value over 4 KB as Advanced. */
export const SSM_VALUE_LIMIT_BYTES = { Standard: 4096, Advanced: 8192, 'Intelligent-Tiering': 8192 } as const;

export type CheckpointTier = keyof typeof SSM_VALUE_LIMIT_BYTES;

/** Backoff for SSM writes, which AWS throttles at a few calls per second per account. */
export const DEFAULT_SSM_WRITE_BACKOFF: BackoffSettings = {
  maxRetries: 8,
  baseMillis: 200,
  maxMillis: 5000,
  expConst: 2,
};

export interface SsmCheckpointStoreOptions {
  readonly ssm: SSMClient;
  /**
   * The consumer application's own parameter path, e.g. `/orders-app/checkpoints`: values are
   * `${parameterPath}/subtask-<i>` (and `-part-<k>`); nothing else of this path is read.
   */
  readonly parameterPath: string;
  /** `Advanced` doubles the value size to 8 KB (billed per parameter). @default 'Standard' */
  readonly tier?: CheckpointTier;
  /** @default DEFAULT_SSM_WRITE_BACKOFF */
  readonly backoff?: BackoffSettings;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger?: Logger;
}

const PARAMETER_PATH = /^\/[a-zA-Z0-9_.\-/]*[a-zA-Z0-9_.-]$/;

/** Checks an SSM parameter path prefix, naming the setting in the error. */
export function validateParameterPath(basePath: string, key: string): void {
  if (!PARAMETER_PATH.test(basePath) || basePath.includes('//')) {
    throw new ConfigurationError(
      `${key} "${basePath}" is not a valid SSM parameter path: it must start with "/", not end with "/", ` +
        'and use only letters, digits, "_", ".", "-" and "/".',
      key,
    );
  }
}

/**
 * Checkpoints in SSM Parameter Store, one value per subtask (`subtask-<i>`), split into
 * `subtask-<i>-part-<k>` when it outgrows the tier's value size. Writes are scarce (about 3 per second
 * per account, no compare-and-set), so only parts whose content changed are written, with backoff on
 * throttling; reads use GetParametersByPath (40 per second).
 */
export class SsmCheckpointStore implements CheckpointStore {
  private readonly path: string;
  private readonly maxBytes: number;
  private readonly tier: ParameterTier;
  /** What each parameter is known to hold, minus `writtenAt`, to skip unchanged writes. */
  private readonly known = new Map<string, string>();

  constructor(private readonly options: SsmCheckpointStoreOptions) {
    validateParameterPath(options.parameterPath, 'checkpoint.ssmPrefix');
    this.path = options.parameterPath;
    this.tier = options.tier ?? 'Standard';
    this.maxBytes = SSM_VALUE_LIMIT_BYTES[this.tier];
  }

  /** The lease parameter of a subtask, beside its checkpoint. */
  leaseParameterName(subtaskIndex: number): string {
    return ssmLeaseParameter(this.path, subtaskIndex);
  }

  /** The name of a subtask's part. */
  parameterName(subtaskIndex: number, part = 0): string {
    return ssmCheckpointParameter(this.path, subtaskIndex, part);
  }

  async loadAll(): Promise<StoredCheckpoint[]> {
    const parameters: Parameter[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.retrying('GetParametersByPath', () =>
        this.options.ssm.send(
          new GetParametersByPathCommand({
            Path: this.path,
            // Only this consumer's values: a nested path may belong to another application.
            Recursive: false,
            MaxResults: 10,
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        ),
      );
      parameters.push(...(page.Parameters ?? []));
      nextToken = page.NextToken;
    } while (nextToken);

    const values: StoredCheckpoint[] = [];
    for (const parameter of parameters) {
      const name = parameter.Name ?? '';
      const match = /^subtask-(\d+)(?:-part-(\d+))?$/.exec(name.slice(this.path.length + 1));
      if (!match || !name.startsWith(`${this.path}/`)) continue;
      const value = decodeCheckpointValue(parameter.Value ?? '', name);
      this.known.set(name, fingerprint(parameter.Value ?? ''));
      values.push({ ...value, subtaskIndex: Number(match[1]) });
    }
    return values;
  }

  async save(subtaskIndex: number, value: CheckpointValue): Promise<{ writes: number }> {
    const parts = encodeCheckpointParts(value, this.maxBytes);
    // A part left over from a time the value was bigger is emptied (once), so stale positions do not linger.
    for (const name of this.known.keys()) {
      const part = this.partIndex(name, subtaskIndex);
      if (
        part !== undefined &&
        part >= parts.length &&
        this.known.get(name) !== fingerprint(emptyOf(value))
      ) {
        parts[part] = emptyOf(value);
      }
    }
    let writes = 0;
    for (let part = 0; part < parts.length; part++) {
      const text = parts[part];
      if (text === undefined) continue;
      const name = this.parameterName(subtaskIndex, part);
      if (this.known.get(name) === fingerprint(text)) continue;
      await this.retrying('PutParameter', () =>
        this.options.ssm.send(
          new PutParameterCommand({
            Name: name,
            Value: text,
            Type: 'String',
            Overwrite: true,
            Tier: this.tier,
          }),
        ),
      );
      this.known.set(name, fingerprint(text));
      writes++;
    }
    return { writes };
  }

  private partIndex(name: string, subtaskIndex: number): number | undefined {
    const prefix = this.parameterName(subtaskIndex);
    if (name === prefix) return 0;
    const match = /^-part-(\d+)$/.exec(name.slice(prefix.length));
    return name.startsWith(prefix) && match ? Number(match[1]) : undefined;
  }

  private retrying<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return withRetries(operation, fn, {
      settings: this.options.backoff ?? DEFAULT_SSM_WRITE_BACKOFF,
      clock: this.options.clock,
      random: this.options.random,
      onRetry: warnOnRetry(
        this.options.logger,
        `${operation} on the checkpoint parameters failed; backing off`,
      ),
    });
  }
}

/** The encoded value without `writtenAt`: two values with the same fingerprint store the same positions. */
function fingerprint(text: string): string {
  const semicolon = text.indexOf(';');
  const header = semicolon < 0 ? text : text.slice(0, semicolon);
  const body = semicolon < 0 ? '' : text.slice(semicolon);
  return header.slice(0, header.lastIndexOf('|')) + body;
}

function emptyOf(value: CheckpointValue): string {
  return encodeCheckpointParts({ ...value, shards: new Map() }, Number.MAX_SAFE_INTEGER)[0] as string;
}
