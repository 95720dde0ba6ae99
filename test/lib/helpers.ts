import { App, CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct, IConstruct } from 'constructs';

/**
 * Context that turns the CloudFormation validation bundled with aws-cdk-lib from warnings into
 * synth errors, and treats its warnings as errors too (the construct-library strict mode).
 */
export const STRICT_VALIDATION_CONTEXT = {
  '@aws-cdk/core:validateAgainstDefaultRules': true,
  '@aws-cdk/core:strictCfnValidateErrors': true,
};

/**
 * An app whose every synth (including `Template.fromStack`) runs cdk-nag's AwsSolutions pack and
 * the bundled CloudFormation validation, failing on any unacknowledged finding.
 */
export function strictApp(): App {
  const app = new App({ autoSynth: false, context: STRICT_VALIDATION_CONTEXT });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

/** A fresh environment-agnostic stack in a strict app. */
export function strictStack(id = 'Test'): Stack {
  return new Stack(strictApp(), id);
}

/** The rule ids acknowledged on a construct or anything below it, as cdk-nag matches them. */
export function acknowledgedRuleIds(scope: IConstruct): string[] {
  const ids = new Set<string>();
  for (const node of scope.node.findAll()) {
    for (const entry of node.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const id of Object.keys(entry.data as Record<string, string>))
        ids.add(id.replace(/^annotation::/i, ''));
    }
  }
  return [...ids].sort();
}

/** A policy statement as it appears in a synthesized template. */
export interface TemplateStatement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/** The statements of every identity policy attached to the role with this logical id. */
export function roleStatements(template: Template, roleLogicalId: string): TemplateStatement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roleLogicalId}"`))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as TemplateStatement[]);
}

/**
 * The statement every connector function's role starts with: writing to its own log group (the first
 * log group of a template that has one function).
 */
export function ownLogsStatement(template: Template): TemplateStatement {
  const logGroupId = Object.keys(template.findResources('AWS::Logs::LogGroup'))[0];
  return {
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
  };
}

/** A stream of this account in eu-west-1, imported by its ARN. */
export function importedStream(scope: Construct, id = 'S', name = 's'): kinesis.IStream {
  return kinesis.Stream.fromStreamArn(scope, id, `arn:aws:kinesis:eu-west-1:111122223333:stream/${name}`);
}

/** Every action of every identity and resource policy in a template. */
export function allPolicyActions(template: Template): string[] {
  const documents = [
    ...Object.values(template.findResources('AWS::IAM::Policy')).map((p) => p.Properties.PolicyDocument),
    ...Object.values(template.findResources('AWS::SQS::QueuePolicy')).map((p) => p.Properties.PolicyDocument),
  ];
  return documents.flatMap((document) =>
    (document.Statement as TemplateStatement[])
      .filter((statement) => statement.Effect === 'Allow')
      .flatMap((statement) => [statement.Action].flat()),
  );
}

/** The logical id of an L2 construct's CloudFormation resource. */
export function logicalId(construct: IConstruct): string {
  const resource = construct.node.defaultChild;
  if (!CfnElement.isCfnElement(resource))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(construct).getLogicalId(resource);
}

/**
 * A function's environment from a template, with every reference replaced by a stand-in a deployment
 * could produce: `{ Ref: X }` becomes `X`, or `queueUrlStandIn(X)` when X is a queue (whose Ref is its
 * URL), `{ Fn::GetAtt: [X, Y] }` becomes `X.Y`, joins are joined. Feeding it to the runtime's loaders
 * shows what the deployed function will read.
 */
export function functionEnvironment(template: Template, functionLogicalId: string): Record<string, string> {
  const resources = template.toJSON().Resources as Record<
    string,
    { Type?: string; Properties?: { Environment?: { Variables?: Record<string, unknown> } } }
  >;
  const variables = resources[functionLogicalId]?.Properties?.Environment?.Variables ?? {};
  const queues = new Set(
    Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::SQS::Queue')
      .map(([id]) => id),
  );
  return Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, standIn(value, queues)]));
}

/** The URL a queue's Ref stands in as, in `functionEnvironment`. */
export function queueUrlStandIn(queueLogicalId: string): string {
  return `https://sqs.eu-west-1.amazonaws.com/123456789012/${queueLogicalId}`;
}

/** A template value with every reference replaced by a stand-in (see `functionEnvironment`). */
export function standIn(value: unknown, queues: ReadonlySet<string> = new Set()): string {
  if (typeof value === 'string') return value;
  const object = value as Record<string, unknown>;
  if ('Ref' in object) {
    const ref = String(object.Ref);
    return queues.has(ref) ? queueUrlStandIn(ref) : ref;
  }
  if ('Fn::GetAtt' in object) return (object['Fn::GetAtt'] as string[]).join('.');
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => standIn(part, queues)).join(separator);
  }
  throw new Error(`no stand-in for ${JSON.stringify(value)}`);
}
