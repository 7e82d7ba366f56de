// Production over time as an SVG bar chart, with the same figures in a table for screen readers.

import { energy, esc } from "./format.js";

export function productionChart(buckets) {
  if (!buckets.length) return `<p class="muted">No production reported yet.</p>`;
  const width = 640;
  const height = 180;
  const top = Math.max(...buckets.map((b) => Number(b.energy_wh)), 1);
  const step = width / buckets.length;
  const bars = buckets.map((b, i) => {
    const h = Math.round((Number(b.energy_wh) / top) * (height - 30));
    const label = String(b.bucket).slice(0, 7);
    return `<g><title>${esc(label)}: ${energy(b.energy_wh)}</title>
      <rect x="${(i * step + 2).toFixed(1)}" y="${height - 18 - h}" width="${Math.max(step - 4, 1).toFixed(1)}" height="${h}"></rect>
      ${buckets.length <= 12 || i % 3 === 0 ? `<text x="${(i * step + 2).toFixed(1)}" y="${height - 4}">${esc(label)}</text>` : ""}</g>`;
  }).join("");
  const rows = buckets.map((b) => `<tr><td>${esc(String(b.bucket).slice(0, 7))}</td><td>${energy(b.energy_wh)}</td></tr>`).join("");
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="Energy produced per month, highest ${energy(top)}">${bars}</svg>
    <details><summary>Figures</summary><table><thead><tr><th>Month</th><th>Energy</th></tr></thead><tbody>${rows}</tbody></table></details>`;
}
