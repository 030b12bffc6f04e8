#!/usr/bin/env node
// Writes docs/dashboards/<uid>.svg, a wireframe of each dashboard Grafana provisions, drawn from its
// dashboard JSON (scripts/dashboard-svg.js). `node scripts/render-dashboards.js --check` writes
// nothing and exits 1 when a picture is out of date (test/grafana-dashboards.test.ts checks the same).
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
require('ts-node').register({ transpileOnly: true, project: path.join(root, 'tsconfig.json') });
const { dashboardJson, floeDashboards } = require(
  path.join(root, 'src', 'plugins', 'observability', 'grafana-dashboards.ts'),
);
const { renderDashboardSvg } = require('./dashboard-svg');

/** The SVG of every dashboard by file name, drawn from the JSON Grafana is given. */
function dashboardSvgs() {
  return Object.fromEntries(
    floeDashboards().map((d) => [
      `${d.uid}.svg`,
      renderDashboardSvg(JSON.parse(dashboardJson(d, 'prometheus', ['floe-platform']))),
    ]),
  );
}

function main() {
  const check = process.argv.includes('--check');
  const dir = path.join(root, 'docs', 'dashboards');
  const stale = [];
  for (const [name, svg] of Object.entries(dashboardSvgs())) {
    const file = path.join(dir, name);
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === svg) continue;
    stale.push(path.relative(root, file));
    if (!check) {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(file, svg);
    }
  }
  for (const file of stale) console.log(`${check ? 'out of date' : 'wrote'} ${file}`);
  if (check && stale.length > 0) process.exitCode = 1;
}

main();
