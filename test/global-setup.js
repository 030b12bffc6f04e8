// Jest globalSetup: runs once in the main process before the workers start, so that on a fresh
// clone the workers find warm caches instead of each doing the same work at the same time:
// - src/ transpiled into the cache bin/floe runs from (scripts/cdk8s-app.js), for the suites that
//   start several floe processes at once;
// - the TypeScript files every suite shares (src/, test/support/) through jest's own transformer
//   (ts-jest), into jest's cache, with the options the test runtime uses, so each is transpiled
//   once, not once per worker.
'use strict';
const fs = require('fs');
const path = require('path');
const { createScriptTransformer } = require('@jest/transform');
const { warm } = require('../scripts/cdk8s-app');

const root = path.join(__dirname, '..');

function typescriptFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return typescriptFiles(file);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [file] : [];
  });
}

module.exports = async function globalSetup(globalConfig, projectConfig) {
  warm(path.join(root, 'src'));
  const transformer = await createScriptTransformer(projectConfig);
  // What jest-runtime passes for a CommonJS module (its defaultTransformOptions and coverage options).
  const options = {
    isInternalModule: false,
    supportsDynamicImport: false,
    supportsExportNamespaceFrom: false,
    supportsStaticESM: false,
    supportsTopLevelAwait: false,
    collectCoverage: globalConfig.collectCoverage,
    collectCoverageFrom: globalConfig.collectCoverageFrom,
    coverageProvider: globalConfig.coverageProvider,
  };
  for (const file of [
    ...typescriptFiles(path.join(root, 'src')),
    ...typescriptFiles(path.join(root, 'test')),
  ]) {
    transformer.transform(file, options);
  }
};
