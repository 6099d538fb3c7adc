// SPDX-License-Identifier: MIT
// chart.js - the Monitor tab's line graphs, drawn as SVG here (no library). A chart has a
// fixed size (its viewBox and the CSS box) and redraws only its contents, so a refresh
// never moves the page. Series: {label, values: [number|null], right: bool (own axis), fmt}.
import { clear, h } from './ui.js';

const W = 360, H = 190, L = 40, T = 10, B = 24;
const COLORS = ['#0972d3', '#e07941', '#037f0c', '#8456ce', '#d91515'];

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const shortNum = (v) => v >= 1e6 ? `${+(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${+(v / 1e3).toFixed(1)}k` : `${+v.toFixed(2)}`;

export class Chart {
  constructor(title, unit) {
    this.svg = h('svg:svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title });
    this.legend = h('ul', { class: 'legend' });
    this.svg.append(h('svg:text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'nodata' }, 'No data'));
    this.el = h('figure', { class: 'chart-box' }, h('figcaption', {}, title, unit ? h('span', { class: 'muted' }, ` (${unit})`) : ''),
                this.svg, this.legend);
  }

  // times: bucket starts (ms); series as above.
  draw(times, series) {
    const n = times.length;
    const R = series.some((s) => s.right) ? 40 : 12;
    const x = (i) => L + (n <= 1 ? 0 : (i * (W - L - R)) / (n - 1));
    const sides = [false, true].map((right) => {
      const vals = series.filter((s) => !!s.right === right).flatMap((s) => s.values).filter((v) => v !== null && v !== undefined);
      return { max: niceMax(Math.max(0, ...vals)), used: series.some((s) => !!s.right === right) };
    });
    const y = (v, right) => T + (H - T - B) * (1 - v / sides[right ? 1 : 0].max);
    const kids = [];
    for (let k = 0; k <= 4; k++) {             // grid and axis labels
      const gy = T + ((H - T - B) * k) / 4;
      kids.push(h('svg:line', { x1: L, x2: W - R, y1: gy, y2: gy, class: 'grid' }));
      if (sides[0].used) kids.push(h('svg:text', { x: L - 4, y: gy + 4, 'text-anchor': 'end', class: 'axis' }, shortNum(sides[0].max * (1 - k / 4))));
      if (sides[1].used) kids.push(h('svg:text', { x: W - R + 4, y: gy + 4, class: 'axis' }, shortNum(sides[1].max * (1 - k / 4))));
    }
    for (let k = 0; k < 4 && n > 1; k++) {     // four time labels in the browser's zone
      const i = Math.round((k * (n - 1)) / 3);
      const d = new Date(times[i]);
      kids.push(h('svg:text', { x: x(i), y: H - 6, 'text-anchor': k === 0 ? 'start' : k === 3 ? 'end' : 'middle', class: 'axis' },
                  d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })));
    }
    series.forEach((s, si) => {
      const color = COLORS[si % COLORS.length];
      let path = '';
      s.values.forEach((v, i) => {
        if (v === null || v === undefined) return;
        const prev = i > 0 ? s.values[i - 1] : null;
        const next = i + 1 < n ? s.values[i + 1] : null;
        path += `${prev === null || prev === undefined ? 'M' : 'L'}${x(i).toFixed(1)},${y(v, s.right).toFixed(1)}`;
        if ((prev === null || prev === undefined) && (next === null || next === undefined))
          kids.push(h('svg:circle', { cx: x(i), cy: y(v, s.right), r: 2.5, fill: color }));
      });
      if (path) kids.push(h('svg:path', { d: path, fill: 'none', stroke: color, 'stroke-width': 1.6,
                                          'vector-effect': 'non-scaling-stroke' }));
    });
    if (!series.some((s) => s.values.some((v) => v !== null && v !== undefined)))
      kids.push(h('svg:text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'nodata' }, 'No data for this period'));
    clear(this.svg, kids);
    // What the graph shows, for tests and scripts: each series' sum over the period.
    this.el.dataset.totals = JSON.stringify(Object.fromEntries(series.map((s) => [s.label,
      s.values.reduce((a, v) => a + (v || 0), 0)])));
    clear(this.legend, series.map((s, si) => {
      const last = [...s.values].reverse().find((v) => v !== null && v !== undefined);
      return h('li', {}, h('span', { class: `swatch c${si % COLORS.length}` }), `${s.label}${s.right ? ' (right axis)' : ''}: `,
               h('b', {}, last === undefined ? '—' : (s.fmt || shortNum)(last)));
    }));
  }
}
