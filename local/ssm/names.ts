import { ServiceError } from '../shared/json-server';

/** The account every local server reports; AWS's documentation uses the same placeholder. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** AWS's model allows 2,048 characters, of which 1,037 are reserved for its own use. */
export const MAX_NAME_CHARS = 2048;
/** The name a caller gives, counted with the ARN characters before it, may not exceed this. */
export const MAX_NAME_WITH_ARN_PREFIX_CHARS = 1011;
export const MAX_HIERARCHY_LEVELS = 15;

const NAME_CHARACTERS = /^[a-zA-Z0-9_.\-/]+$/;
const RESERVED_PREFIX = /^\/?(aws|ssm)/i;

/** A parameter reference as GetParameter accepts it: a name or ARN, optionally with `:version` or `:label`. */
export interface ParameterReference {
  /** The name as the caller wrote it, without selector. */
  readonly name: string;
  readonly version?: number;
  readonly label?: string;
  /** `:3` or `:label`, echoed back as the parameter's `Selector`. */
  readonly selector?: string;
}

/**
 * The key a parameter is stored under. Parameter Store treats a single-level name with and without its
 * leading slash (`/name` and `name`) as the same parameter.
 */
export function storageKey(name: string): string {
  const stripped = name.startsWith('/') ? name.slice(1) : name;
  return stripped.includes('/') ? name : stripped;
}

export function parameterArn(region: string, name: string): string {
  return `arn:aws:ssm:${region}:${LOCAL_ACCOUNT_ID}:parameter/${name.startsWith('/') ? name.slice(1) : name}`;
}

/** Number of hierarchy levels in a name: `/a/b/c` has 3, `name` has 1. */
export function hierarchyLevels(name: string): number {
  return name.split('/').filter((segment) => segment.length > 0).length;
}

/**
 * Checks a name given to PutParameter and returns it with surrounding spaces removed (as AWS does);
 * throws the error AWS returns for each broken rule.
 */
export function validateNewName(raw: string, region: string): string {
  const name = raw.trim();
  if (name.length < 1 || name.length > MAX_NAME_CHARS) {
    throw validation(`Name must be 1 to ${MAX_NAME_CHARS} characters long; got ${raw.length}.`);
  }
  if (name.startsWith('arn:')) {
    throw validation(`Name must be a parameter name, not an ARN; got "${name}".`);
  }
  if (/\s/.test(name)) {
    throw validation(`Name must not contain spaces; got "${name}".`);
  }
  if (!NAME_CHARACTERS.test(name)) {
    throw validation(
      `Name "${name}" has a character outside a-z, A-Z, 0-9, "_", ".", "-" and "/" (the hierarchy separator).`,
    );
  }
  if (RESERVED_PREFIX.test(name)) {
    throw validation(`Name "${name}" must not begin with "aws" or "ssm" (in any case); those are reserved.`);
  }
  if (name.includes('/')) {
    if (!name.startsWith('/')) {
      throw validation(`Name "${name}" is a hierarchy, so it must begin with "/" (a fully qualified name).`);
    }
    if (name.endsWith('/') || name.includes('//')) {
      throw validation(`Name "${name}" has an empty hierarchy level; remove the extra "/".`);
    }
  }
  if (parameterArn(region, name).length > MAX_NAME_WITH_ARN_PREFIX_CHARS) {
    throw validation(
      `Name "${name.slice(0, 40)}..." is too long: with its ARN prefix it has ` +
        `${parameterArn(region, name).length} characters, and at most ${MAX_NAME_WITH_ARN_PREFIX_CHARS} are allowed.`,
    );
  }
  const levels = hierarchyLevels(name);
  if (levels > MAX_HIERARCHY_LEVELS) {
    throw new ServiceError(
      'HierarchyLevelLimitExceededException',
      `A hierarchy can have at most ${MAX_HIERARCHY_LEVELS} levels; "${name}" has ${levels}.`,
    );
  }
  return name;
}

/**
 * Parses a GetParameter(s) name: a name or this region's ARN, with an optional `:version` or
 * `:label` selector. Returns undefined for anything that cannot name a parameter.
 */
export function parseReference(raw: string, region: string): ParameterReference | undefined {
  let rest = raw.trim();
  const arnPrefix = `arn:aws:ssm:${region}:${LOCAL_ACCOUNT_ID}:parameter/`;
  if (rest.startsWith('arn:')) {
    if (!rest.startsWith(arnPrefix)) return undefined;
    rest = rest.slice(arnPrefix.length);
    if (rest.includes('/')) rest = `/${rest}`;
  }
  const parts = rest.split(':');
  if (parts.length > 2) return undefined;
  const [name = '', selector] = parts;
  if (name.length < 1 || name.length > MAX_NAME_CHARS || !NAME_CHARACTERS.test(name)) return undefined;
  if (selector === undefined) return { name };
  if (/^[0-9]+$/.test(selector)) return { name, version: Number(selector), selector: `:${selector}` };
  if (selector.length === 0) return undefined;
  return { name, label: selector, selector: `:${selector}` };
}

/** Why a label may not be used, or undefined when it may (rules of LabelParameterVersion). */
export function labelProblem(label: string): string | undefined {
  if (label.length < 1 || label.length > 100) return 'a label must be 1 to 100 characters long';
  if (/^[0-9]/.test(label)) return 'a label must not begin with a number';
  if (/^(aws|ssm)/i.test(label)) return 'a label must not begin with "aws" or "ssm"';
  if (!/^[a-zA-Z0-9_.-]+$/.test(label)) return 'a label may contain only letters, numbers, ".", "-" and "_"';
  return undefined;
}

function validation(message: string): ServiceError {
  return new ServiceError('ValidationException', message);
}
