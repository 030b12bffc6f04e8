const os = require('os');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Jest's default is one worker per core but one; on the 2-core CI machine that is a single
  // worker, and several suites mostly wait on child processes (the daemon supervisor, the backup
  // scripts, the floe binary). One and a half workers per core keeps both cores busy: npm test
  // 65 s -> ~45 s here. (Jest reads '150%' as 150 workers, hence the arithmetic.)
  maxWorkers: Math.ceil(os.cpus().length * 1.5),
  roots: ['<rootDir>/test'],
  globalSetup: '<rootDir>/test/global-setup.js',
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.dev.json' }],
  },
  snapshotFormat: { escapeString: false, printBasicPrototype: false },
};
