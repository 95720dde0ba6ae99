import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

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
  const app = new App({ context: STRICT_VALIDATION_CONTEXT });
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
