/**
 * Lets Powertools print its EMF lines in this test file (test/support/jest-setup.ts turns them off
 * elsewhere), for tests that read the metrics a handler publishes.
 */
export function usePowertoolsMetrics(): void {
  let before: string | undefined;
  beforeAll(() => {
    before = process.env.POWERTOOLS_METRICS_DISABLED;
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  });
  afterAll(() => {
    if (before === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = before;
  });
}
