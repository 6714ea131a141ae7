// Unit, page and end-to-end tests. globalSetup starts the real backend once (tests/e2e/backend.js); the
// page harness renders pages with miniprogram-simulate in jsdom.
module.exports = {
  testEnvironment: 'jsdom',
  testMatch: ['<rootDir>/tests/**/*.test.js'],
  globalSetup: '<rootDir>/tests/e2e/global-setup.js',
  globalTeardown: '<rootDir>/tests/e2e/global-teardown.js',
  testTimeout: 60000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/tests/harness/count-reporter.js'],
}
