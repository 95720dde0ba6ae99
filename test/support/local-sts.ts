import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, endpointOf, listenOnLoopback } from '../../local/shared/node-server';

/** A role the local STS lets callers assume. */
export interface LocalRole {
  /** Access key ids, or ARNs of roles whose issued credentials, that may assume this role. @default anyone */
  readonly trustedCallers?: readonly string[];
  /** When set, AssumeRole must carry exactly this ExternalId. */
  readonly externalId?: string;
  /** When set, AssumeRoleWithWebIdentity must carry exactly this token. */
  readonly webIdentityToken?: string;
}

/** One request the server answered, for assertions. */
export interface StsCall {
  readonly action: string;
  readonly params: Readonly<Record<string, string>>;
  /** The access key id from the SigV4 Authorization header; undefined for unsigned calls. */
  readonly callerAccessKeyId?: string;
  /** The role whose credentials signed the call, when they were issued by this server. */
  readonly callerRoleArn?: string;
  readonly status: number;
}

/** Credentials this server handed out. */
export interface IssuedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly roleArn: string;
}

/**
 * A tiny STS stand-in speaking the query protocol (form-encoded POST, XML reply) for AssumeRole
 * and AssumeRoleWithWebIdentity, enough for the SDK's credential providers. It enforces trust
 * (who may assume a role), external ids and web identity tokens so tests can assert on them.
 */
export class LocalSts {
  readonly calls: StsCall[] = [];
  readonly issued = new Map<string, IssuedCredentials>();
  private server?: Server;
  private counter = 0;

  constructor(private readonly roles: Readonly<Record<string, LocalRole>>) {}

  async listen(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    return listenOnLoopback(server);
  }

  get endpoint(): string {
    if (!this.server) throw new Error('The local STS is not listening; call listen() first.');
    return endpointOf(this.server);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await closeServer(server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const action = params['Action'] ?? '';
    const callerAccessKeyId = /Credential=([^/,\s]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
    const callerRoleArn = callerAccessKeyId ? this.issued.get(callerAccessKeyId)?.roleArn : undefined;
    const reply = this.answer(action, params, callerAccessKeyId, callerRoleArn);
    this.calls.push({ action, params, callerAccessKeyId, callerRoleArn, status: reply.status });
    res.writeHead(reply.status, { 'content-type': 'text/xml' });
    res.end(reply.body);
  }

  private answer(
    action: string,
    params: Record<string, string>,
    callerAccessKeyId: string | undefined,
    callerRoleArn: string | undefined,
  ): { status: number; body: string } {
    const roleArn = params['RoleArn'] ?? '';
    const role = this.roles[roleArn];
    if (action !== 'AssumeRole' && action !== 'AssumeRoleWithWebIdentity') {
      return fault(400, 'InvalidAction', `The action ${action || '(none)'} is not valid for this endpoint.`);
    }
    if (!role) return fault(403, 'AccessDenied', `Role ${roleArn} does not exist or is not assumable.`);
    if (action === 'AssumeRole') {
      if (!callerAccessKeyId) return fault(403, 'MissingAuthenticationToken', 'The request must be signed.');
      const caller = callerRoleArn ?? callerAccessKeyId;
      if (role.trustedCallers && !role.trustedCallers.includes(caller)) {
        return fault(403, 'AccessDenied', `${caller} is not trusted to assume ${roleArn}.`);
      }
      if (role.externalId !== undefined && params['ExternalId'] !== role.externalId) {
        return fault(403, 'AccessDenied', `The external id does not match for ${roleArn}.`);
      }
    } else if (role.webIdentityToken === undefined || params['WebIdentityToken'] !== role.webIdentityToken) {
      return fault(403, 'InvalidIdentityToken', 'The web identity token is not valid.');
    }
    const issued = this.issue(roleArn);
    const sessionName = escapeXml(params['RoleSessionName'] ?? '');
    const credentials =
      `<Credentials><AccessKeyId>${issued.accessKeyId}</AccessKeyId>` +
      `<SecretAccessKey>${issued.secretAccessKey}</SecretAccessKey>` +
      `<SessionToken>${issued.sessionToken}</SessionToken>` +
      `<Expiration>${new Date(Date.now() + 3_600_000).toISOString()}</Expiration></Credentials>` +
      `<AssumedRoleUser><Arn>${escapeXml(roleArn)}/${sessionName}</Arn>` +
      `<AssumedRoleId>AROALOCAL:${sessionName}</AssumedRoleId></AssumedRoleUser>`;
    const ns = 'https://sts.amazonaws.com/doc/2011-06-15/';
    return {
      status: 200,
      body:
        `<${action}Response xmlns="${ns}"><${action}Result>${credentials}</${action}Result>` +
        `<ResponseMetadata><RequestId>${this.counter}</RequestId></ResponseMetadata></${action}Response>`,
    };
  }

  private issue(roleArn: string): IssuedCredentials {
    this.counter++;
    const issued = {
      accessKeyId: `ASIALOCAL${String(this.counter).padStart(8, '0')}`,
      secretAccessKey: randomBytes(20).toString('hex'),
      sessionToken: randomBytes(32).toString('base64url'),
      roleArn,
    };
    this.issued.set(issued.accessKeyId, issued);
    return issued;
  }
}

function fault(status: number, code: string, message: string): { status: number; body: string } {
  return {
    status,
    body:
      `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>` +
      `<Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>0</RequestId></ErrorResponse>`,
  };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
