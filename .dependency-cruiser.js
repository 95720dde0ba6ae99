// The import rules of the code base, checked by test/architecture.test.ts (and by `npm run deps`).
// Type-only imports count (tsPreCompilationDeps): a cycle through types is still a cycle of ideas, and
// `aws-lambda` is imported for its types only.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Data flows one way: a module never reaches itself through its imports.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-knows-no-lambda-edge',
      severity: 'error',
      comment:
        'functions/core/ takes clients, stores and a clock, and returns what it did: the Lambda event types and ' +
        'Powertools Metrics belong to the handlers in functions/consumer/ and functions/producer/.',
      from: { path: '^functions/core/' },
      to: {
        path: '^(node_modules/(@types/aws-lambda|aws-lambda|@aws-lambda-powertools/metrics)/|aws-lambda$)',
      },
    },
    {
      name: 'core-knows-no-edge-folders',
      severity: 'error',
      comment:
        'The core never imports the Lambda edge, the constructs, the CLI, the local servers or tools/.',
      from: { path: '^functions/core/' },
      to: { path: '^(functions/(consumer|producer)|lib|cli|local|bin|tools|bench|test)/' },
    },
    {
      name: 'runtime-knows-no-cdk',
      severity: 'error',
      comment: 'Nothing in a Lambda bundle pulls in aws-cdk-lib or constructs.',
      from: { path: '^functions/' },
      to: { path: '^node_modules/(aws-cdk-lib|constructs)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|cdk\\.out)/' },
  },
};
