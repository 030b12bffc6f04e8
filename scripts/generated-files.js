'use strict';
// Shared by the scripts that generate committed files (schemas.js, import-crds.js): formats each
// file with prettier and writes it when it differs, or with `check` writes nothing and only lists
// what is out of date.
const fs = require('fs');
const path = require('path');
const prettier = require('prettier');

/**
 * @param {string} root the repository root (paths are reported relative to it)
 * @param {string} dir the directory the files belong in
 * @param {Record<string, string>} files file name -> unformatted text
 * @param {boolean} check list only, write nothing
 * @returns {Promise<string[]>} the files that were (or would be) written
 */
async function writeGenerated(root, dir, files, check) {
  const stale = [];
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    const options = (await prettier.resolveConfig(file)) || {};
    const formatted = await prettier.format(text, { ...options, filepath: file });
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    if (current === formatted) continue;
    stale.push(path.relative(root, file));
    if (!check) {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(file, formatted);
    }
  }
  for (const file of stale) console.log(`${check ? 'out of date' : 'wrote'} ${file}`);
  return stale;
}

module.exports = { writeGenerated };
