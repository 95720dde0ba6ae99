/**
 * Lets Powertools print its EMF lines in this test file (test/support/jest-setup.ts turns them off
 * elsewhere), for tests that read the metrics a handler publishes.
 */
export function usePowertoolsMetrics(): void {
  // At once, not in a hook: a Metrics made while the file is loaded reads the variable then.
  const before = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  afterAll(() => {
    if (before === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = before;
  });
}
