/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/support/jest-setup.ts'],
  transform: {
    '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  testTimeout: 60000,
  // Per test file, for the few files whose tests run with test.concurrent (real-time waits, each test
  // on its own resources).
  maxConcurrency: 4,
  maxWorkers: process.env.CI ? 2 : '50%',
};
