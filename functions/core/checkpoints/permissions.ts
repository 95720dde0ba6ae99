// The IAM actions each checkpoint store's calls need, and nothing more. The CDK construct grants exactly
// these on the consumer's own path or table; the store tests hold every call the stores make to them.

/**
 * The SSM store and lease: GetParametersByPath (load), PutParameter (save, lease), GetParameter (lease),
 * DeleteParameter (a handed-over lease's create-once claim, once the lease is let go).
 */
export const SSM_CHECKPOINT_ACTIONS = [
  'ssm:GetParameter',
  'ssm:GetParametersByPath',
  'ssm:PutParameter',
  'ssm:DeleteParameter',
] as const;

/** The DynamoDB store and lease: Query (load), UpdateItem (save, lease), GetItem (lease holder). */
export const DYNAMODB_CHECKPOINT_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:UpdateItem',
  'dynamodb:Query',
] as const;
