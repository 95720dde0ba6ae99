import { ConfigurationError, ConnectorError, describeError } from '../functions/core/errors';

/** A failure the CLI explains itself; its message is printed as is. */
export class CliError extends ConnectorError {
  constructor(
    message: string,
    /** 1 for a failure, 2 for a usage mistake. */
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

/** The command line asks for something that cannot be done as written (exit code 2). */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** Where requests go, for messages about unreachable endpoints and missing resources. */
export interface Whereabouts {
  readonly region: string;
  /** Configured endpoints by service, when not AWS's own. */
  readonly endpoints: Readonly<Record<string, string | undefined>>;
}

const CREDENTIAL_REJECTIONS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredTokenException',
  'ExpiredToken',
  'IncompleteSignature',
]);

/**
 * Turns anything thrown into the message the CLI prints and its exit code: whole sentences that say
 * what to change (the region, the endpoint, the credentials), not stack traces.
 */
export function explainError(error: unknown, where?: Whereabouts): { message: string; exitCode: 1 | 2 } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof ConfigurationError) return { message: error.message, exitCode: 2 };
  const root = rootCause(error);
  const e = root as { name?: string; code?: string; message?: string; hostname?: string };
  const name = e.name ?? '';
  // A network error the SDK wrapped keeps its code only in its message ("connect ECONNREFUSED 127.0.0.1:1").
  const code = e.code ?? NETWORK_CODE.exec(e.message ?? '')?.[1] ?? '';
  if (name === 'CredentialsProviderError') {
    return {
      message:
        `No AWS credentials were found (${e.message ?? 'no provider had any'}). Pass --profile <name>, set ` +
        'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), or set aws.credentials.provider in the ' +
        '--properties file.',
      exitCode: 1,
    };
  }
  if (CREDENTIAL_REJECTIONS.has(name)) {
    return {
      message:
        `AWS rejected the credentials (${name}: ${e.message ?? ''}). Check that they are current and belong to ` +
        `the account of the resources${where ? ` in region ${where.region}` : ''}.`,
      exitCode: 1,
    };
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied') {
    return {
      message: `Access denied: ${e.message ?? name}. Grant the credentials' role the permission it names.`,
      exitCode: 1,
    };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    const host = e.hostname ?? hostOf(e.message);
    return {
      message:
        `Cannot resolve the host ${host ?? '(unknown)'}${where ? ` of region ${where.region}` : ''}: check ` +
        '--region (it must be a region such as eu-west-1) and any --endpoint option.',
      exitCode: 1,
    };
  }
  if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    const target = addressOf(root) ?? addressIn(e.message) ?? endpointsOf(where);
    return {
      message: `Nothing answers at ${target} (${code}): check the --endpoint options and that the server is running.`,
      exitCode: 1,
    };
  }
  if (name === 'TimeoutError' || code === 'ETIMEDOUT') {
    return {
      message:
        `A request to ${endpointsOf(where)} timed out (${e.message ?? name}): check the --endpoint options, ` +
        'the region and the network.',
      exitCode: 1,
    };
  }
  if (error instanceof ConnectorError) return { message: error.message, exitCode: 1 };
  return { message: `The command failed: ${describeError(root).replace(/\.?$/, '.')}`, exitCode: 1 };
}

/** The error the SDK raised, under our retry wrappers (which keep it as `cause`). */
export function rootCause(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 10 && current instanceof ConnectorError; depth++) {
    const cause = (current as { cause?: unknown }).cause;
    if (typeof cause !== 'object' || cause === null) break;
    current = cause;
  }
  return current;
}

function addressOf(error: unknown): string | undefined {
  const e = error as { address?: string; port?: number };
  return e.address ? `${e.address}${e.port ? `:${e.port}` : ''}` : undefined;
}

const NETWORK_CODE = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT)\b/;

function addressIn(message: string | undefined): string | undefined {
  return message?.match(/(?:ECONNREFUSED|EHOSTUNREACH|ENETUNREACH)\s+([^\s.]+(?:\.[^\s.]+)*:\d+)/)?.[1];
}

function hostOf(message: string | undefined): string | undefined {
  return message?.match(/(?:ENOTFOUND|EAI_AGAIN)\s+(\S+?)\.?$/m)?.[1];
}

function endpointsOf(where: Whereabouts | undefined): string {
  if (!where) return 'the AWS endpoint';
  const configured = [...new Set(Object.values(where.endpoints).filter((e): e is string => Boolean(e)))];
  return configured.length > 0 ? configured.join(', ') : `the AWS endpoints of region ${where.region}`;
}
