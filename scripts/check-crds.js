#!/usr/bin/env node
// Checks that a CRD of crds/ is a faithful subset of an upstream CRD:
//
//   node scripts/check-crds.js crds/monitoring.coreos.com_servicemonitors.yaml <upstream CRD file>
//
// The group, names, scope and version must be the same, and in the openAPIV3Schema every property
// of ours must exist upstream at the same path with the same type, int-or-string flag, format,
// pattern, minLength and enum, and every object must require exactly what upstream requires (a
// field upstream requires cannot be left out of the subset). Descriptions and upstream-only
// fields are ignored. Prints one line per difference and exits 1 if there is any. The upstream
// file is not part of this repository (docs/monitoring.md says which release was checked).
'use strict';
const fs = require('fs');
const YAML = require('yaml');

const COMPARED = ['type', 'format', 'pattern', 'minLength', 'x-kubernetes-int-or-string'];
const STRUCTURE = ['properties', 'items', 'additionalProperties', 'required', 'enum', 'anyOf'];

function loadCrd(file) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'))
    .map((d) => d.toJS())
    .filter((d) => d && d.kind === 'CustomResourceDefinition');
  if (docs.length !== 1)
    throw new Error(`${file}: expected one CustomResourceDefinition, found ${docs.length}`);
  return docs[0];
}

function compareSchema(ours, theirs, at, errors) {
  if (theirs === undefined) {
    errors.push(`${at}: not in the upstream schema`);
    return;
  }
  for (const key of Object.keys(ours)) {
    if (!COMPARED.includes(key) && !STRUCTURE.includes(key)) errors.push(`${at}: unexpected keyword ${key}`);
  }
  for (const key of COMPARED) {
    if (JSON.stringify(ours[key]) !== JSON.stringify(theirs[key])) {
      errors.push(`${at}: ${key} is ${JSON.stringify(ours[key])}, upstream ${JSON.stringify(theirs[key])}`);
    }
  }
  if (ours.enum !== undefined || theirs.enum !== undefined) {
    if (JSON.stringify(ours.enum) !== JSON.stringify(theirs.enum)) {
      errors.push(`${at}: enum is ${JSON.stringify(ours.enum)}, upstream ${JSON.stringify(theirs.enum)}`);
    }
  }
  if (ours.anyOf !== undefined || theirs.anyOf !== undefined) {
    if (JSON.stringify(ours.anyOf) !== JSON.stringify(theirs.anyOf)) {
      errors.push(`${at}: anyOf is ${JSON.stringify(ours.anyOf)}, upstream ${JSON.stringify(theirs.anyOf)}`);
    }
  }
  const required = (s) => JSON.stringify([...(s.required ?? [])].sort());
  if (required(ours) !== required(theirs)) {
    errors.push(`${at}: requires ${required(ours)}, upstream ${required(theirs)}`);
  }
  for (const [name, schema] of Object.entries(ours.properties ?? {})) {
    compareSchema(schema, (theirs.properties ?? {})[name], `${at}.${name}`, errors);
  }
  if (ours.items !== undefined) compareSchema(ours.items, theirs.items, `${at}[]`, errors);
  if (ours.additionalProperties !== undefined) {
    compareSchema(ours.additionalProperties, theirs.additionalProperties, `${at}{}`, errors);
  }
}

function checkCrd(oursFile, upstreamFile) {
  const ours = loadCrd(oursFile);
  const theirs = loadCrd(upstreamFile);
  const errors = [];
  const same = (label, a, b) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      errors.push(`${label} is ${JSON.stringify(a)}, upstream ${JSON.stringify(b)}`);
    }
  };
  same('metadata.name', ours.metadata.name, theirs.metadata.name);
  same('spec.group', ours.spec.group, theirs.spec.group);
  same('spec.scope', ours.spec.scope, theirs.spec.scope);
  for (const key of ['kind', 'listKind', 'plural', 'singular']) {
    same(`spec.names.${key}`, ours.spec.names[key], theirs.spec.names[key]);
  }
  for (const version of ours.spec.versions) {
    const upstream = theirs.spec.versions.find((v) => v.name === version.name);
    if (!upstream) {
      errors.push(`version ${version.name} is not served upstream`);
      continue;
    }
    same(`version ${version.name} served`, version.served, upstream.served);
    same(`version ${version.name} storage`, version.storage, upstream.storage);
    compareSchema(
      version.schema.openAPIV3Schema,
      upstream.schema.openAPIV3Schema,
      `${version.name}.openAPIV3Schema`,
      errors,
    );
  }
  return errors;
}

if (require.main === module) {
  const [oursFile, upstreamFile] = process.argv.slice(2);
  if (!oursFile || !upstreamFile) {
    console.error('usage: node scripts/check-crds.js <crd of crds/> <upstream crd file>');
    process.exit(2);
  }
  const errors = checkCrd(oursFile, upstreamFile);
  for (const e of errors) console.log(`${oursFile}: ${e}`);
  if (errors.length === 0) console.log(`${oursFile}: a subset of ${upstreamFile}`);
  process.exitCode = errors.length === 0 ? 0 : 1;
}

module.exports = { checkCrd };
