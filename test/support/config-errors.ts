import { ConfigurationError } from '../../functions/core/errors';

/** The ConfigurationError `fn` throws; fails the test when it throws nothing or something else. */
export function configError(fn: () => unknown): ConfigurationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('expected a ConfigurationError, but the configuration loaded');
}

/** The problem messages `fn` throws, one per problem. */
export function problemsOf(fn: () => unknown): string[] {
  return configError(fn).problems.map((p) => p.message);
}
