'use strict';
// Draws a Grafana dashboard model (the JSON Grafana reads) as an SVG wireframe: one box per panel at
// its gridPos (24 columns; a grid row is about 30 px in Grafana), with the panel's title and type.
// No Grafana and no cluster needed. Used by scripts/render-dashboards.js and by the test that keeps
// docs/dashboards/*.svg in step with the dashboards.

const COLUMNS = 24;
const COLUMN_PX = 40;
const ROW_PX = 30;
const MARGIN = 16;
const HEADER = 48;
const GAP = 4;

/** @param {string} text */
function escapeXml(text) {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Shortens `text` to about what fits in `px` pixels at ~7 px per character. */
function fit(text, px) {
  const max = Math.max(3, Math.floor(px / 7));
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * @param {{ uid: string, title: string, panels: { title: string, type: string,
 *   gridPos: { h: number, w: number, x: number, y: number } }[] }} dashboard a dashboard model
 * @returns {string} the SVG document
 */
function renderDashboardSvg(dashboard) {
  const panels = dashboard.panels;
  for (const p of panels) {
    const g = p.gridPos;
    if (!g || ![g.h, g.w, g.x, g.y].every((n) => Number.isInteger(n) && n >= 0)) {
      throw new Error(`${dashboard.uid}: panel '${p.title}' has no valid gridPos`);
    }
    if (g.x + g.w > COLUMNS)
      throw new Error(`${dashboard.uid}: panel '${p.title}' is wider than ${COLUMNS} columns`);
  }
  const rows = panels.reduce((n, p) => Math.max(n, p.gridPos.y + p.gridPos.h), 0);
  const width = 2 * MARGIN + COLUMNS * COLUMN_PX;
  const height = 2 * MARGIN + HEADER + rows * ROW_PX;
  const lines = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `  <title>${escapeXml(dashboard.title)} (${escapeXml(dashboard.uid)})</title>`,
    `  <rect x="0" y="0" width="${width}" height="${height}" fill="#111217"/>`,
    `  <text x="${MARGIN}" y="${MARGIN + 20}" font-size="18" fill="#ccccdc">${escapeXml(dashboard.title)}</text>`,
    `  <text x="${width - MARGIN}" y="${MARGIN + 20}" font-size="12" fill="#8e8e9e" text-anchor="end">uid ${escapeXml(dashboard.uid)}</text>`,
  ];
  for (const p of panels) {
    const g = p.gridPos;
    const x = MARGIN + g.x * COLUMN_PX + GAP / 2;
    const y = MARGIN + HEADER + g.y * ROW_PX + GAP / 2;
    const w = g.w * COLUMN_PX - GAP;
    const h = g.h * ROW_PX - GAP;
    lines.push(
      `  <g>`,
      `    <rect x="${x}" y="${y}" width="${w}" height="${h}" rx="3" fill="#181b1f" stroke="#2c3235"/>`,
      `    <text x="${x + 8}" y="${y + 18}" font-size="13" fill="#ccccdc">${escapeXml(fit(p.title, w - 16))}</text>`,
      `    <text x="${x + 8}" y="${y + h - 8}" font-size="11" fill="#8e8e9e">${escapeXml(p.type)}</text>`,
      `  </g>`,
    );
  }
  lines.push('</svg>');
  return `${lines.join('\n')}\n`;
}

module.exports = { renderDashboardSvg, COLUMNS };
