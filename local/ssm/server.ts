import { createHash } from 'node:crypto';
import { ConfigurationError } from '../../functions/core/errors';
import { systemClock, type Clock, type Random } from '../../functions/core/time/clock';
import type { FaultSwitch } from '../shared/faults';
import { JsonServiceServer, ServiceError } from '../shared/json-server';
import {
  MAX_HIERARCHY_LEVELS,
  MAX_NAME_CHARS,
  hierarchyLevels,
  labelProblem,
  parameterArn,
  parseReference,
  storageKey,
  validateNewName,
  type ParameterReference,
} from './names';
import { WindowRateLimiter } from './rate-limiter';

export type ParameterType = 'String' | 'StringList' | 'SecureString';
export type ParameterTier = 'Standard' | 'Advanced' | 'Intelligent-Tiering';
/** A parameter is stored in one of these; Intelligent-Tiering only chooses between them. */
export type StoredTier = 'Standard' | 'Advanced';

export const SSM_OPERATIONS = [
  'PutParameter',
  'GetParameter',
  'GetParameters',
  'GetParametersByPath',
  'DeleteParameter',
  'DeleteParameters',
  'LabelParameterVersion',
] as const;
export type SsmOperation = (typeof SSM_OPERATIONS)[number];

/** AWS's documented Parameter Store limits, as the local server applies them. */
export const SSM_LIMITS = {
  standardValueBytes: 4096,
  advancedValueBytes: 8192,
  standardParameters: 10_000,
  advancedParameters: 100_000,
  versionsKept: 100,
  labelsPerVersion: 10,
  namesPerRequest: 10,
  maxResultsPerPage: 10,
  descriptionChars: 1024,
  allowedPatternChars: 1024,
} as const;

/** The key SecureString parameters use when PutParameter names none: the account's AWS managed key. */
export const DEFAULT_KEY_ID = 'alias/aws/ssm';

export interface LocalSsmServerOptions {
  /** Stamps LastModifiedDate and drives the rate limits. @default systemClock */
  readonly clock?: Clock;
  /** The region in ARNs. @default 'us-east-1' */
  readonly region?: string;
  /** Random source of the fault switch's `failFraction`. @default Math.random */
  readonly random?: Random;
  /**
   * PutParameter calls accepted per second of `clock` time; the rest get ThrottlingException.
   * AWS does not publish this limit; support has quoted about 3 per second per account.
   * @default - no limit
   */
  readonly putParameterPerSecond?: number;
  /**
   * GetParameter, GetParameters and GetParametersByPath calls accepted per second, counted together.
   * @default - no limit (AWS's default quota is 40)
   */
  readonly readsPerSecond?: number;
  /** @default 10,000 (AWS's per-region quota) */
  readonly maxStandardParameters?: number;
  /** @default 100,000 (AWS's per-region quota) */
  readonly maxAdvancedParameters?: number;
  /** The account's default tier setting, used when PutParameter names no Tier. @default 'Standard' */
  readonly defaultTier?: ParameterTier;
}

/** One stored version of a parameter, as tests see it. */
export interface ParameterVersionSnapshot {
  readonly version: number;
  readonly value: string;
  readonly type: ParameterType;
  readonly keyId?: string;
  readonly description?: string;
  readonly allowedPattern?: string;
  readonly lastModifiedMillis: number;
  readonly labels: readonly string[];
}

/** A stored parameter and every version kept, oldest first. */
export interface ParameterSnapshot {
  readonly name: string;
  readonly tier: StoredTier;
  readonly tags: readonly { readonly Key: string; readonly Value: string }[];
  readonly versions: readonly ParameterVersionSnapshot[];
}

interface StoredVersion extends ParameterVersionSnapshot {
  labels: string[];
}

interface StoredParameter {
  readonly name: string;
  tier: StoredTier;
  readonly tags: { Key: string; Value: string }[];
  readonly versions: StoredVersion[];
}

interface InjectedError {
  readonly operation: SsmOperation;
  readonly code: string;
  readonly message: string;
  remaining: number;
}

type Input = Record<string, unknown>;

const PARAMETER_TYPES: readonly ParameterType[] = ['String', 'StringList', 'SecureString'];
const PARAMETER_TIERS: readonly ParameterTier[] = ['Standard', 'Advanced', 'Intelligent-Tiering'];
const PATH_FILTER_KEYS = ['Type', 'KeyId', 'Label'];

/**
 * A local AWS Systems Manager Parameter Store speaking the AWS JSON 1.1 protocol (target `AmazonSSM`)
 * for the operations this project uses, with AWS's documented limits and error names. State is kept
 * in memory; time comes from the injected clock.
 */
export class LocalSsmServer {
  private readonly http: JsonServiceServer;
  private readonly clock: Clock;
  private readonly region: string;
  private readonly maxStandard: number;
  private readonly maxAdvanced: number;
  private readonly defaultTier: ParameterTier;
  private readonly putLimiter?: WindowRateLimiter;
  private readonly readLimiter?: WindowRateLimiter;
  private readonly parameters = new Map<string, StoredParameter>();
  private readonly calls = new Map<SsmOperation, number>();
  private injected: InjectedError[] = [];

  constructor(options: LocalSsmServerOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.region = options.region ?? 'us-east-1';
    this.maxStandard = positiveInteger(
      'maxStandardParameters',
      options.maxStandardParameters ?? SSM_LIMITS.standardParameters,
    );
    this.maxAdvanced = positiveInteger(
      'maxAdvancedParameters',
      options.maxAdvancedParameters ?? SSM_LIMITS.advancedParameters,
    );
    const defaultTier = options.defaultTier ?? 'Standard';
    if (!PARAMETER_TIERS.includes(defaultTier)) {
      throw new ConfigurationError(
        `defaultTier must be one of ${PARAMETER_TIERS.join(', ')}; got "${String(defaultTier)}".`,
        'defaultTier',
      );
    }
    this.defaultTier = defaultTier;
    if (options.putParameterPerSecond !== undefined) {
      this.putLimiter = new WindowRateLimiter(
        positiveInteger('putParameterPerSecond', options.putParameterPerSecond),
        this.clock,
      );
    }
    if (options.readsPerSecond !== undefined) {
      this.readLimiter = new WindowRateLimiter(
        positiveInteger('readsPerSecond', options.readsPerSecond),
        this.clock,
      );
    }
    this.http = new JsonServiceServer({
      targetPrefix: 'AmazonSSM',
      contentType: 'application/x-amz-json-1.1',
      ...(options.random ? { random: options.random } : {}),
      operations: {
        PutParameter: (input) => this.call('PutParameter', () => this.putParameter(input)),
        GetParameter: (input) => this.call('GetParameter', () => this.getParameter(input)),
        GetParameters: (input) => this.call('GetParameters', () => this.getParameters(input)),
        GetParametersByPath: (input) =>
          this.call('GetParametersByPath', () => this.getParametersByPath(input)),
        DeleteParameter: (input) => this.call('DeleteParameter', () => this.deleteParameter(input)),
        DeleteParameters: (input) => this.call('DeleteParameters', () => this.deleteParameters(input)),
        LabelParameterVersion: (input) =>
          this.call('LabelParameterVersion', () => this.labelParameterVersion(input)),
      },
    });
  }

  /** Throttles, fails a fraction of calls or adds latency, before a call reaches the store. */
  get faults(): FaultSwitch {
    return this.http.faults;
  }

  /** Starts listening on 127.0.0.1 (port 0 picks a free port) and returns the endpoint URL. */
  listen(port = 0): Promise<string> {
    return this.http.listen(port);
  }

  get endpoint(): string {
    return this.http.endpoint;
  }

  close(): Promise<void> {
    return this.http.close();
  }

  /**
   * Makes the next `times` calls of `operation` fail with the error `code` (e.g. `TooManyUpdates`,
   * `InternalServerError`): errors the store cannot produce on its own.
   */
  failNext(operation: SsmOperation, code: string, times = 1, message = `An injected ${code}.`): void {
    this.injected.push({ operation, code, message, remaining: times });
  }

  /** How many calls of `operation` reached the store (fault-switch rejections excluded). */
  callCount(operation: SsmOperation): number {
    return this.calls.get(operation) ?? 0;
  }

  /** A copy of a stored parameter, by name (`/name` and `name` are the same single-level parameter). */
  parameter(name: string): ParameterSnapshot | undefined {
    const stored = this.parameters.get(storageKey(name));
    if (!stored) return undefined;
    return {
      name: stored.name,
      tier: stored.tier,
      tags: stored.tags.map((tag) => ({ ...tag })),
      versions: stored.versions.map((version) => ({ ...version, labels: [...version.labels] })),
    };
  }

  /** Every stored parameter's name, sorted. */
  parameterNames(): string[] {
    return [...this.parameters.values()].map((p) => p.name).sort();
  }

  /** Forgets every parameter, injected error, call count and fault. */
  reset(): void {
    this.parameters.clear();
    this.calls.clear();
    this.injected = [];
    this.faults.clear();
  }

  private call(operation: SsmOperation, run: () => unknown): unknown {
    this.calls.set(operation, this.callCount(operation) + 1);
    const injected = this.injected.find((e) => e.operation === operation && e.remaining > 0);
    if (injected) {
      injected.remaining--;
      this.injected = this.injected.filter((e) => e.remaining > 0);
      throw new ServiceError(
        injected.code,
        injected.message,
        injected.code === 'InternalServerError' ? 500 : 400,
      );
    }
    const limiter =
      operation === 'PutParameter' ? this.putLimiter : isRead(operation) ? this.readLimiter : undefined;
    if (limiter && !limiter.tryAcquire()) throw new ServiceError('ThrottlingException', 'Rate exceeded');
    return run();
  }

  private putParameter(input: Input): unknown {
    const name = validateNewName(requiredString(input, 'Name'), this.region);
    const value = requiredString(input, 'Value');
    if (value.length === 0) throw validation('Value must not be empty.');
    const type = optionalEnum(input, 'Type', PARAMETER_TYPES);
    const overwrite = optionalBoolean(input, 'Overwrite') ?? false;
    const description = optionalString(input, 'Description');
    if (description !== undefined && description.length > SSM_LIMITS.descriptionChars) {
      throw validation(
        `Description must be at most ${SSM_LIMITS.descriptionChars} characters; got ${description.length}.`,
      );
    }
    const allowedPatternInput = optionalString(input, 'AllowedPattern');
    if (allowedPatternInput !== undefined && allowedPatternInput.length > SSM_LIMITS.allowedPatternChars) {
      throw validation(`AllowedPattern must be at most ${SSM_LIMITS.allowedPatternChars} characters.`);
    }
    const keyIdInput = optionalString(input, 'KeyId');
    const tierInput = optionalEnum(input, 'Tier', PARAMETER_TIERS);
    const tags = optionalTags(input);
    const dataType = optionalString(input, 'DataType');
    if (dataType !== undefined && dataType !== 'text') {
      throw validation(`DataType "${dataType}" is not supported by the local SSM server; only "text" is.`);
    }
    if (input.Policies !== undefined) {
      throw validation('Policies (parameter policies) are not supported by the local SSM server.');
    }

    const key = storageKey(name);
    const existing = this.parameters.get(key);
    const latest = existing?.versions.at(-1);
    if (existing && !overwrite) {
      throw new ServiceError(
        'ParameterAlreadyExists',
        `The parameter ${name} already exists. Set Overwrite to true to replace its value.`,
      );
    }
    if (overwrite && tags.length > 0) {
      throw validation(
        'Tags and Overwrite cannot be used together: create the parameter with its tags, or change tags ' +
          'with AddTagsToResource.',
      );
    }
    if (!latest && !type) throw validation('Type is required when you create a parameter.');
    if (latest && type && type !== latest.type) {
      throw new ServiceError(
        'HierarchyTypeMismatchException',
        `The parameter ${name} is a ${latest.type}; its type cannot be changed to ${type}. ` +
          'Delete it and create it again with the new type.',
      );
    }
    const effectiveType = type ?? latest?.type ?? 'String';

    let keyId: string | undefined;
    if (keyIdInput !== undefined) {
      if (effectiveType !== 'SecureString') {
        throw validation(`KeyId applies only to SecureString parameters; ${name} is a ${effectiveType}.`);
      }
      checkKeyId(keyIdInput);
      keyId = keyIdInput;
    } else if (effectiveType === 'SecureString') {
      keyId = latest?.keyId ?? DEFAULT_KEY_ID;
    }

    const allowedPattern = allowedPatternInput ?? latest?.allowedPattern;
    if (allowedPattern !== undefined && allowedPattern !== '') {
      let pattern: RegExp;
      try {
        pattern = new RegExp(allowedPattern);
      } catch {
        throw new ServiceError(
          'InvalidAllowedPatternException',
          `AllowedPattern "${allowedPattern}" is not a valid regular expression.`,
        );
      }
      if (!pattern.test(value)) {
        throw new ServiceError(
          'ParameterPatternMismatchException',
          `The value of ${name} does not match its AllowedPattern "${allowedPattern}".`,
        );
      }
    }

    const tier = this.chooseTier(name, existing, tierInput, Buffer.byteLength(value, 'utf8'));

    if (existing && existing.versions.length >= SSM_LIMITS.versionsKept) {
      const oldest = existing.versions[0];
      if (oldest && oldest.labels.length > 0) {
        throw new ServiceError(
          'ParameterMaxVersionLimitExceeded',
          `${name} already has ${SSM_LIMITS.versionsKept} versions, and the oldest (version ${oldest.version}) ` +
            `cannot be deleted to make room because it has a label (${oldest.labels.join(', ')}). ` +
            'Move the label to a newer version and try again.',
        );
      }
      existing.versions.shift();
    }

    const version: StoredVersion = {
      version: (latest?.version ?? 0) + 1,
      value,
      type: effectiveType,
      keyId,
      description: description ?? latest?.description,
      allowedPattern,
      lastModifiedMillis: this.clock.now(),
      labels: [],
    };
    if (existing) {
      existing.tier = tier;
      existing.versions.push(version);
    } else {
      this.parameters.set(key, { name, tier, tags, versions: [version] });
    }
    return { Version: version.version, Tier: tier };
  }

  private chooseTier(
    name: string,
    existing: StoredParameter | undefined,
    tierInput: ParameterTier | undefined,
    valueBytes: number,
  ): StoredTier {
    const requested = tierInput ?? this.defaultTier;
    let tier: StoredTier;
    if (requested === 'Advanced') {
      tier = 'Advanced';
    } else if (requested === 'Intelligent-Tiering') {
      const standardFull = !existing && this.countTier('Standard') >= this.maxStandard;
      tier =
        existing?.tier === 'Advanced' || valueBytes > SSM_LIMITS.standardValueBytes || standardFull
          ? 'Advanced'
          : 'Standard';
    } else if (existing?.tier === 'Advanced') {
      if (tierInput) {
        throw validation(
          `${name} is an Advanced parameter and cannot be moved back to the Standard tier. ` +
            'Delete it and create it again as a Standard parameter.',
        );
      }
      tier = 'Advanced';
    } else {
      tier = 'Standard';
    }

    const limit = tier === 'Standard' ? SSM_LIMITS.standardValueBytes : SSM_LIMITS.advancedValueBytes;
    if (valueBytes > limit) {
      throw validation(
        tier === 'Standard'
          ? `The value of ${name} is ${valueBytes} bytes; Standard parameters hold at most ${limit}. ` +
              'Use the Advanced tier (up to 8192) for a larger value.'
          : `The value of ${name} is ${valueBytes} bytes; Advanced parameters hold at most ${limit}.`,
      );
    }
    if (tier === 'Standard' && !existing && this.countTier('Standard') >= this.maxStandard) {
      throw new ServiceError(
        'ParameterLimitExceeded',
        `This account already has ${this.maxStandard} Standard parameters in ${this.region}. ` +
          'Delete some or use the Advanced tier.',
      );
    }
    if (
      tier === 'Advanced' &&
      existing?.tier !== 'Advanced' &&
      this.countTier('Advanced') >= this.maxAdvanced
    ) {
      throw new ServiceError(
        'ParameterLimitExceeded',
        `This account already has ${this.maxAdvanced} Advanced parameters in ${this.region}. Delete some first.`,
      );
    }
    return tier;
  }

  private countTier(tier: StoredTier): number {
    let count = 0;
    for (const parameter of this.parameters.values()) if (parameter.tier === tier) count++;
    return count;
  }

  private getParameter(input: Input): unknown {
    const raw = requiredString(input, 'Name');
    const reference = parseReference(raw, this.region);
    if (!reference) throw validation(`Name "${raw}" is not a valid parameter name, ARN or selector.`);
    const withDecryption = optionalBoolean(input, 'WithDecryption') ?? false;
    const [parameter, version] = this.resolve(reference);
    return { Parameter: this.render(parameter, version, withDecryption, reference.selector) };
  }

  private getParameters(input: Input): unknown {
    const names = requiredStringList(input, 'Names', 1, SSM_LIMITS.namesPerRequest);
    const withDecryption = optionalBoolean(input, 'WithDecryption') ?? false;
    const found: Record<string, unknown>[] = [];
    const invalid: string[] = [];
    for (const raw of new Set(names)) {
      const reference = parseReference(raw, this.region);
      try {
        if (!reference) throw new ServiceError('ParameterNotFound', raw);
        const [parameter, version] = this.resolve(reference);
        found.push(this.render(parameter, version, withDecryption, reference.selector));
      } catch (error) {
        if (!(error instanceof ServiceError)) throw error;
        invalid.push(raw);
      }
    }
    found.sort((a, b) =>
      compare(`${String(a.Name)}${String(a.Selector ?? '')}`, `${String(b.Name)}${String(b.Selector ?? '')}`),
    );
    return { Parameters: found, InvalidParameters: invalid };
  }

  private getParametersByPath(input: Input): unknown {
    const path = validatePath(requiredString(input, 'Path'));
    const recursive = optionalBoolean(input, 'Recursive') ?? false;
    const withDecryption = optionalBoolean(input, 'WithDecryption') ?? false;
    const maxResults = optionalInteger(input, 'MaxResults') ?? SSM_LIMITS.maxResultsPerPage;
    if (maxResults < 1 || maxResults > SSM_LIMITS.maxResultsPerPage) {
      throw validation(`MaxResults must be 1 to ${SSM_LIMITS.maxResultsPerPage}; got ${maxResults}.`);
    }
    const filters = parsePathFilters(input.ParameterFilters);
    const token = optionalString(input, 'NextToken');
    const after = token === undefined ? undefined : decodePathToken(token, path, recursive);

    const matches: [string, StoredParameter, StoredVersion][] = [];
    for (const [key, parameter] of this.parameters) {
      if (!isUnderPath(key, path, recursive)) continue;
      if (after !== undefined && compare(key, after) <= 0) continue;
      const version = selectByFilters(parameter, filters);
      if (version) matches.push([key, parameter, version]);
    }
    matches.sort(([a], [b]) => compare(a, b));
    const page = matches.slice(0, maxResults);
    const last = page.at(-1);
    return {
      Parameters: page.map(([, parameter, version]) => this.render(parameter, version, withDecryption)),
      ...(matches.length > page.length && last
        ? { NextToken: encodePathToken(path, recursive, last[0]) }
        : {}),
    };
  }

  private deleteParameter(input: Input): unknown {
    const name = requiredString(input, 'Name');
    const reference = parseReference(name, this.region);
    if (!reference || reference.selector || name.startsWith('arn:')) {
      throw validation(`Name "${name}" is not a parameter name; give the name without ARN or selector.`);
    }
    if (!this.parameters.delete(storageKey(reference.name))) throw notFound(name);
    return {};
  }

  private deleteParameters(input: Input): unknown {
    const names = requiredStringList(input, 'Names', 1, SSM_LIMITS.namesPerRequest);
    const deleted: string[] = [];
    const invalid: string[] = [];
    for (const name of new Set(names)) {
      const reference = parseReference(name, this.region);
      const ok =
        reference !== undefined &&
        !reference.selector &&
        !name.startsWith('arn:') &&
        this.parameters.delete(storageKey(reference.name));
      (ok ? deleted : invalid).push(name);
    }
    return { DeletedParameters: deleted, InvalidParameters: invalid };
  }

  private labelParameterVersion(input: Input): unknown {
    const name = requiredString(input, 'Name');
    const reference = parseReference(name, this.region);
    if (!reference || reference.selector) throw validation(`Name "${name}" is not a parameter name.`);
    const labels = requiredStringList(input, 'Labels', 1, SSM_LIMITS.labelsPerVersion);
    const requestedVersion = optionalInteger(input, 'ParameterVersion');
    const parameter = this.parameters.get(storageKey(reference.name));
    if (!parameter) throw notFound(name);
    const target =
      requestedVersion === undefined
        ? parameter.versions.at(-1)
        : parameter.versions.find((v) => v.version === requestedVersion);
    if (!target) throw versionNotFound(parameter.name, String(requestedVersion));
    const invalid = labels.filter((label) => labelProblem(label) !== undefined);
    const valid = [...new Set(labels.filter((label) => labelProblem(label) === undefined))];
    const added = valid.filter((label) => !target.labels.includes(label));
    if (target.labels.length + added.length > SSM_LIMITS.labelsPerVersion) {
      throw new ServiceError(
        'ParameterVersionLabelLimitExceeded',
        `A parameter version can have at most ${SSM_LIMITS.labelsPerVersion} labels; ` +
          `version ${target.version} of ${parameter.name} would have ${target.labels.length + added.length}. ` +
          'Move some labels to another version.',
      );
    }
    for (const version of parameter.versions) {
      if (version !== target) version.labels = version.labels.filter((label) => !valid.includes(label));
    }
    target.labels.push(...added);
    return { InvalidLabels: invalid, ParameterVersion: target.version };
  }

  private resolve(reference: ParameterReference): [StoredParameter, StoredVersion] {
    const parameter = this.parameters.get(storageKey(reference.name));
    if (!parameter) throw notFound(reference.name + (reference.selector ?? ''));
    let version: StoredVersion | undefined;
    if (reference.version !== undefined) {
      version = parameter.versions.find((v) => v.version === reference.version);
      if (!version) throw versionNotFound(parameter.name, String(reference.version));
    } else if (reference.label !== undefined) {
      const label = reference.label;
      version = parameter.versions.find((v) => v.labels.includes(label));
      if (!version) throw notFound(reference.name + (reference.selector ?? ''));
    } else {
      version = parameter.versions.at(-1);
    }
    if (!version) throw notFound(reference.name);
    return [parameter, version];
  }

  private render(
    parameter: StoredParameter,
    version: StoredVersion,
    withDecryption: boolean,
    selector?: string,
  ): Record<string, unknown> {
    const encrypted = version.type === 'SecureString' && !withDecryption;
    return {
      Name: parameter.name,
      Type: version.type,
      Value: encrypted ? ciphertext(version.keyId ?? DEFAULT_KEY_ID, version.value) : version.value,
      Version: version.version,
      ...(selector ? { Selector: selector } : {}),
      LastModifiedDate: version.lastModifiedMillis / 1000,
      ARN: parameterArn(this.region, parameter.name),
      DataType: 'text',
    };
  }
}

/**
 * What a SecureString reads as without WithDecryption: AWS returns the KMS ciphertext, here a
 * deterministic, non-reversible stand-in that never contains the plaintext.
 */
export function ciphertext(keyId: string, value: string): string {
  return `encrypted:${keyId}:${createHash('sha256').update(keyId).update('\0').update(value).digest('base64')}`;
}

function isRead(operation: SsmOperation): boolean {
  return operation === 'GetParameter' || operation === 'GetParameters' || operation === 'GetParametersByPath';
}

function validatePath(path: string): string {
  if (path.length < 1 || path.length > MAX_NAME_CHARS) {
    throw validation(`Path must be 1 to ${MAX_NAME_CHARS} characters long; got ${path.length}.`);
  }
  if (!path.startsWith('/')) throw validation(`Path "${path}" must begin with "/".`);
  if (!/^[a-zA-Z0-9_.\-/]+$/.test(path) || path.includes('//')) {
    throw validation(
      `Path "${path}" must be "/" or "/"-separated levels of a-z, A-Z, 0-9, "_", "." and "-".`,
    );
  }
  if (hierarchyLevels(path) > MAX_HIERARCHY_LEVELS) {
    throw validation(`Path "${path}" has more than ${MAX_HIERARCHY_LEVELS} levels.`);
  }
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/** Whether the parameter stored under `key` lies under `path` (given without trailing slash). */
function isUnderPath(key: string, path: string, recursive: boolean): boolean {
  if (path === '/') return recursive || !key.includes('/');
  if (!key.startsWith(`${path}/`)) return false;
  return recursive || !key.slice(path.length + 1).includes('/');
}

interface PathFilter {
  readonly key: string;
  readonly option: 'Equals' | 'BeginsWith';
  readonly values: readonly string[];
}

function parsePathFilters(raw: unknown): PathFilter[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw validation('ParameterFilters must be a list.');
  const seen = new Set<string>();
  return raw.map((item: unknown, index) => {
    if (typeof item !== 'object' || item === null)
      throw validation(`ParameterFilters[${index}] must be an object.`);
    const filter = item as Input;
    const key = requiredString(filter, 'Key');
    if (!/^(tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType)$/.test(key) || key.length > 132) {
      throw validation(
        `ParameterFilters[${index}].Key "${key}" must be one of Name, Type, KeyId, Path, Label, Tier, DataType or tag:<key>.`,
      );
    }
    if (!PATH_FILTER_KEYS.includes(key)) {
      throw new ServiceError(
        'InvalidFilterKey',
        `The filter key ${key} cannot be used with GetParametersByPath; use one of ${PATH_FILTER_KEYS.join(', ')}.`,
      );
    }
    if (seen.has(key)) {
      throw new ServiceError(
        'InvalidFilterKey',
        `The filter key ${key} appears more than once; give it once.`,
      );
    }
    seen.add(key);
    const option = optionalString(filter, 'Option') ?? 'Equals';
    const allowed = key === 'Label' ? ['Equals'] : ['Equals', 'BeginsWith'];
    if (!allowed.includes(option)) {
      throw new ServiceError(
        'InvalidFilterOption',
        `The filter option ${option} is not valid for ${key}; use one of ${allowed.join(', ')}.`,
      );
    }
    const values = filter.Values;
    if (
      !Array.isArray(values) ||
      values.length < 1 ||
      values.length > 50 ||
      !values.every((v): v is string => typeof v === 'string' && v.length >= 1 && v.length <= 1024)
    ) {
      throw new ServiceError(
        'InvalidFilterValue',
        `The filter ${key} needs 1 to 50 Values, each 1 to 1024 characters long.`,
      );
    }
    if (key === 'Type' && option === 'Equals') {
      const bad = values.find((v) => !PARAMETER_TYPES.includes(v as ParameterType));
      if (bad !== undefined) {
        throw new ServiceError(
          'InvalidFilterValue',
          `The Type filter value ${bad} is not valid; use one of ${PARAMETER_TYPES.join(', ')}.`,
        );
      }
    }
    return { key, option: option as PathFilter['option'], values };
  });
}

/** The version of `parameter` the filters select (the latest, or the latest labelled one), if any. */
function selectByFilters(
  parameter: StoredParameter,
  filters: readonly PathFilter[],
): StoredVersion | undefined {
  let version = parameter.versions.at(-1);
  for (const filter of filters) {
    if (!version) return undefined;
    const matches = (candidate: string | undefined) =>
      candidate !== undefined &&
      filter.values.some((v) => (filter.option === 'Equals' ? candidate === v : candidate.startsWith(v)));
    if (filter.key === 'Label') {
      version = [...parameter.versions].reverse().find((v) => v.labels.some((label) => matches(label)));
    } else if (filter.key === 'Type' && !matches(version.type)) {
      return undefined;
    } else if (filter.key === 'KeyId' && !matches(version.keyId)) {
      return undefined;
    }
  }
  return version;
}

function encodePathToken(path: string, recursive: boolean, afterKey: string): string {
  return Buffer.from(JSON.stringify({ p: path, r: recursive, a: afterKey })).toString('base64');
}

function decodePathToken(token: string, path: string, recursive: boolean): string {
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as {
      p?: unknown;
      r?: unknown;
      a?: unknown;
    };
    if (decoded.p === path && decoded.r === recursive && typeof decoded.a === 'string') return decoded.a;
  } catch {
    // Falls through to the error below.
  }
  throw new ServiceError(
    'InvalidNextToken',
    'NextToken is not valid for this request; pass the token from the previous page of the same Path and Recursive.',
  );
}

const KEY_ID_FORMS = [
  /^alias\/[a-zA-Z0-9/_-]+$/,
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  /^mrk-[0-9a-f]{32}$/,
  /^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key\/[a-zA-Z0-9-]+|alias\/[a-zA-Z0-9/_-]+)$/,
];

function checkKeyId(keyId: string): void {
  if (keyId.length < 1 || keyId.length > 256 || !/^[a-zA-Z0-9:/_-]+$/.test(keyId)) {
    throw validation(
      `KeyId must be 1 to 256 characters of a-z, A-Z, 0-9, ":", "/", "_" and "-"; got "${keyId}".`,
    );
  }
  if (!KEY_ID_FORMS.some((form) => form.test(keyId))) {
    throw new ServiceError(
      'InvalidKeyId',
      `KeyId "${keyId}" is not a KMS key ID, key ARN, alias name (alias/...) or alias ARN.`,
    );
  }
}

function requiredString(input: Input, field: string): string {
  const value = input[field];
  if (value === undefined || value === null) throw validation(`${field} is required.`);
  if (typeof value !== 'string') throw validation(`${field} must be a string; got ${typeof value}.`);
  return value;
}

function optionalString(input: Input, field: string): string | undefined {
  return input[field] === undefined || input[field] === null ? undefined : requiredString(input, field);
}

function optionalBoolean(input: Input, field: string): boolean | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean')
    throw validation(`${field} must be true or false; got ${JSON.stringify(value)}.`);
  return value;
}

function optionalInteger(input: Input, field: string): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw validation(`${field} must be an integer; got ${JSON.stringify(value)}.`);
  }
  return value;
}

function optionalEnum<T extends string>(input: Input, field: string, allowed: readonly T[]): T | undefined {
  const value = optionalString(input, field);
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) {
    throw validation(`${field} must be one of ${allowed.join(', ')}; got "${value}".`);
  }
  return value as T;
}

function requiredStringList(input: Input, field: string, min: number, max: number): string[] {
  const value = input[field];
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    throw validation(`${field} must be a list of strings.`);
  }
  if (value.length < min || value.length > max) {
    throw validation(`${field} must hold ${min} to ${max} items; got ${value.length}.`);
  }
  return value;
}

function optionalTags(input: Input): { Key: string; Value: string }[] {
  const raw = input.Tags;
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw) || raw.length > 1000) throw validation('Tags must be a list of at most 1000 tags.');
  return raw.map((tag: unknown, index) => {
    const t = (typeof tag === 'object' && tag !== null ? tag : {}) as Input;
    if (typeof t.Key !== 'string' || typeof t.Value !== 'string') {
      throw validation(`Tags[${index}] must have a string Key and Value.`);
    }
    return { Key: t.Key, Value: t.Value };
  });
}

function positiveInteger(key: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigurationError(`${key} must be a positive integer; got ${value}.`, key);
  }
  return value;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function validation(message: string): ServiceError {
  return new ServiceError('ValidationException', message);
}

function notFound(name: string): ServiceError {
  return new ServiceError('ParameterNotFound', `Parameter ${name} not found.`);
}

function versionNotFound(name: string, version: string): ServiceError {
  return new ServiceError(
    'ParameterVersionNotFound',
    `Version ${version} of ${name} does not exist (it was never created or is older than the ${SSM_LIMITS.versionsKept} kept).`,
  );
}
