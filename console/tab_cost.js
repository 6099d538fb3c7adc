// SPDX-License-Identifier: MIT
// tab_cost.js - the Cost tab: what AWS Lambda would bill for this function over a period,
// by issue 12's rules (GET /_fngate/cost, computed by core/pricing.c on the gateway).
import { api } from './api.js';
import { clear, errorMessage, fmtNum, fmtTime, h, message, panel } from './ui.js';

const PERIODS = [['24h', 24], ['7 days', 24 * 7], ['30 days', 24 * 30]];

export function renderCost(body, name) {
  let hours = 24 * 30;
  let alive = true;
  const out = h('div');
  const pick = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Period' });
  const load = async () => {
    for (const b of pick.children) b.setAttribute('aria-pressed', String(Number(b.dataset.h) === hours));
    clear(out, message('Loading…', 'note'));
    const until = Date.now();
    const since = until - hours * 3600 * 1000;
    try {
      const c = await api(`/_fngate/cost?function=${encodeURIComponent(name)}&since=${since}&until=${until}`);
      if (!alive) return;
      const row = (c.functions || []).find((r) => r.function === name) || c.total || {};
      const p = c.pricing || {};
      clear(out, h('dl', { class: 'facts' },
        h('div', {}, h('dt', {}, 'Since'), h('dd', {}, fmtTime(c.since_ms ?? since))),
        h('div', {}, h('dt', {}, 'Requests'), h('dd', {}, fmtNum(row.requests))),
        h('div', {}, h('dt', {}, 'Billed requests'), h('dd', {}, fmtNum(row.billed_requests))),
        h('div', {}, h('dt', {}, 'GB-seconds'), h('dd', {}, fmtNum(row.gb_seconds, 3))),
        h('div', {}, h('dt', {}, 'Billed GB-seconds'), h('dd', {}, fmtNum(row.billed_gb_seconds, 3))),
        h('div', {}, h('dt', {}, 'Request cost'), h('dd', {}, `$${fmtNum(row.request_cost, 6)}`)),
        h('div', {}, h('dt', {}, 'Duration cost'), h('dd', {}, `$${fmtNum(row.duration_cost, 6)}`)),
        h('div', {}, h('dt', {}, 'Total'), h('dd', { class: 'big' }, `$${fmtNum(row.total, 6)}`))),
        h('p', { class: 'muted' }, `Rates: $${p.requests_per_million ?? '?'} per 1M requests, $${p.gb_second ?? '?'} per GB-second; `,
          `the free tier (${fmtNum(p.free_requests)} requests, ${fmtNum(p.free_gb_seconds)} GB-seconds a month) is shared by all functions.`));
    } catch (e) {
      if (alive) clear(out, errorMessage(e));
    }
  };
  for (const [label, hrs] of PERIODS) {
    const b = h('button', { type: 'button', 'data-h': hrs, onclick: () => { hours = hrs; load(); } }, label);
    pick.append(b);
  }
  clear(body, panel('Cost', pick, out));
  load();
  return () => { alive = false; };
}
