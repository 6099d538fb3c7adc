// SPDX-License-Identifier: MIT
// tab_monitor.js - the Monitor tab: Lambda's metrics graphs for 1 h / 3 h / 12 h / 24 h from
// GET /_fngate/functions/NAME/metrics?period=P, redrawn every 10 s in place.
import { api, fnPath } from './api.js';
import { clear, fmtTime, h, message, panel } from './ui.js';
import { Chart } from './chart.js';

const PERIODS = ['1h', '3h', '12h', '24h'];
const REFRESH_MS = 10000;

export function renderMonitor(body, name) {
  let period = '1h';
  let timer = null;
  let alive = true;
  const status = h('div', { class: 'monitor-status', 'aria-live': 'polite' });
  const charts = {
    invocations: new Chart('Invocations', 'count'),
    duration: new Chart('Duration', 'ms'),
    errors: new Chart('Error count and success rate', 'count, %'),
    throttles: new Chart('Throttles', 'count'),
    concurrent: new Chart('Concurrent executions', 'max'),
    async: new Chart('Async event age and dead letters', 'ms, count'),
    iterator: new Chart('Iterator age', 'ms'),
  };
  const pick = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Period' },
    PERIODS.map((p) => h('button', { type: 'button', 'data-p': p, onclick: () => { period = p; refresh(); } }, p)));
  const updated = h('span', { class: 'muted' });
  clear(body, panel('Metrics', h('div', { class: 'toolbar' }, pick, updated), status,
                    h('div', { class: 'charts' }, Object.values(charts).map((c) => c.el))));

  const refresh = async () => {
    clearTimeout(timer);
    for (const b of pick.children) b.setAttribute('aria-pressed', String(b.dataset.p === period));
    try {
      const m = await api(`${fnPath(name)}/metrics?period=${period}`);
      if (!alive) return;
      const pts = m.points || [];
      const t = pts.map((p) => p.t);
      const col = (k) => pts.map((p) => p[k] ?? null);
      charts.invocations.draw(t, [{ label: 'Invocations', values: col('invocations') }]);
      charts.duration.draw(t, [{ label: 'Average', values: col('durationAvgMs') }, { label: 'p99', values: col('durationP99Ms') }]);
      charts.errors.draw(t, [
        { label: 'Errors', values: col('errors') },
        { label: 'Success rate %', right: true, fmt: (v) => `${v.toFixed(1)} %`,
          values: pts.map((p) => p.invocations ? (100 * (p.invocations - p.errors)) / p.invocations : null) },
      ]);
      charts.throttles.draw(t, [{ label: 'Throttles', values: col('throttles') }]);
      charts.concurrent.draw(t, [{ label: 'Concurrent executions', values: col('concurrentMax') }]);
      charts.async.draw(t, [{ label: 'Async event age (max ms)', values: col('asyncEventAgeMaxMs') },
                            { label: 'Dead letters', right: true, values: col('deadLetters') }]);
      charts.iterator.draw(t, [{ label: 'Iterator age (max ms)', values: col('iteratorAgeMaxMs') }]);
      clear(status);
      clear(updated, 'Updated ', fmtTime(Date.now()), ` · every ${REFRESH_MS / 1000} s`);
    } catch (e) {
      if (!alive) return;
      clear(status, message(e.message));
    }
    if (alive) timer = setTimeout(refresh, REFRESH_MS);
  };
  refresh();
  return () => { alive = false; clearTimeout(timer); };
}
