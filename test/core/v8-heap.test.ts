import { applyHeapGrowingPercent } from '../../functions/core/v8-heap';

// The V8 flag is process-wide, so these tests hand the function a recording setter instead of V8's own
// (setting it for real would change the test process's garbage collection for every later test).
describe('applyHeapGrowingPercent', () => {
  function recorder(): { flags: string[]; set: (flags: string) => void } {
    const flags: string[] = [];
    return { flags, set: (f) => flags.push(f) };
  }

  it("sets V8's heap growing percent in a Lambda function's process", () => {
    const setter = recorder();
    expect(applyHeapGrowingPercent(300, { AWS_LAMBDA_FUNCTION_NAME: 'orders-consumer' }, setter.set)).toBe(
      true,
    );
    expect(setter.flags).toEqual(['--heap-growing-percent=300']);
  });

  it('passes the configured percent through', () => {
    const setter = recorder();
    applyHeapGrowingPercent(150, { AWS_LAMBDA_FUNCTION_NAME: 'f' }, setter.set);
    expect(setter.flags).toEqual(['--heap-growing-percent=150']);
  });

  it('leaves a process that is not a Lambda function alone (a test, a script building a handler)', () => {
    const setter = recorder();
    expect(applyHeapGrowingPercent(300, { AWS_REGION: 'us-east-1' }, setter.set)).toBe(false);
    expect(setter.flags).toEqual([]);
  });

  it('leaves V8 its own heuristics at 0', () => {
    const setter = recorder();
    expect(applyHeapGrowingPercent(0, { AWS_LAMBDA_FUNCTION_NAME: 'f' }, setter.set)).toBe(false);
    expect(setter.flags).toEqual([]);
  });

  it('reads the process environment by default', () => {
    const setter = recorder();
    const saved = process.env.AWS_LAMBDA_FUNCTION_NAME;
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    try {
      expect(applyHeapGrowingPercent(300, undefined, setter.set)).toBe(false);
    } finally {
      if (saved !== undefined) process.env.AWS_LAMBDA_FUNCTION_NAME = saved;
    }
    expect(setter.flags).toEqual([]);
  });
});
