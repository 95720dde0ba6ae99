// The AWS settings' defaults, in a module of their own with no imports, so that the client factory
// (core/aws/clients.ts, which aws-config.ts builds settings for) can take them without an import cycle.
// The AWS settings rows themselves are in aws-config.ts.

export const AWS_DEFAULTS = {
  connectionTimeoutMillis: 5000,
  requestTimeoutMillis: 30000,
  credentials: { provider: 'AUTO' },
  kinesisCbor: true,
} as const;
