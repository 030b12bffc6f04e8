// Jest globalSetup: runs once in the main process before the workers start. Transpiles src/ into
// the cache bin/floe runs from (scripts/cdk8s-app.js), so the suites that start several floe
// processes at once do not each transpile every file of a fresh clone.
'use strict';
const path = require('path');
const { warm } = require('../scripts/cdk8s-app');

module.exports = function globalSetup() {
  warm(path.join(__dirname, '..', 'src'));
};
