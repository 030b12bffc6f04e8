const base = require('./jest.config');

/**
 * `npm run test:e2e`: the end-to-end tests, which run the package and the npm scripts the way a
 * user does (npm pack, a consumer project compiled with tsc, `npm run synth` through cdk8s-cli).
 * Each costs tens of seconds of CPU, so they are not part of `npm test`; CI (.ci/run) runs both.
 * The operating commands run here too (cli-platform, cli-runs: the real binary, one Node process
 * per command, against the stand-in API server).
 * @type {import('jest').Config}
 */
module.exports = { ...base, testMatch: ['**/*.e2e.ts'] };
