// SPDX-License-Identifier: MIT
// page_operations.js - the Operations page: the async queue and its dead letters (list, show
// payload, redrive, purge with a confirmation), schedules (last and next fire, lateness) and
// the sources (/_fngate/queues, /topics, /streams, /folders).
import { api } from './api.js';
import { autoTable, button, clear, confirmDialog, errorMessage, fmtJson, fmtMs, fmtTime, h, message, panel, table } from './ui.js';

const REFRESH_MS = 10000;

// Fills el from loader(), a message in place of a blank panel on failure.
async function fill(el, loader) {
  try {
    clear(el, await loader());
  } catch (e) {
    clear(el, errorMessage(e));
  }
}

const firstArray = (v) => Array.isArray(v) ? v : Object.values(v || {}).find(Array.isArray) || [];

export function renderOperations(main) {
  let timer = null;
  const queue = h('div', {}, message('Loading…', 'note'));
  const dlq = h('div', {}, message('Loading…', 'note'));
  const dlqStatus = h('div', { 'aria-live': 'polite' });
  const payload = h('div', { id: 'dlq-payload' });
  const schedules = h('div', {}, message('Loading…', 'note'));
  const sources = Object.fromEntries(['queues', 'topics', 'streams', 'folders'].map((k) => [k, h('div', {}, message('Loading…', 'note'))]));

  const act = async (what, fn) => {
    try {
      const r = await fn();
      clear(dlqStatus, message(what(r), 'ok'));
    } catch (e) {
      clear(dlqStatus, errorMessage(e));
    }
    clear(payload);
    loadDlq();
    fill(queue, loadQueue);
  };
  const redrive = (sel, label) => act((r) => `Redrove ${r.redriven} dead letter(s)${label}.`,
    () => api('/_fngate/dlq/redrive', { method: 'POST', body: sel }));
  const purge = async (sel, label) => {
    if (!await confirmDialog('Purge dead letters', `Delete ${label} for good? They cannot be redriven afterwards.`, 'Purge')) return;
    await act((r) => `Purged ${r.purged} dead letter(s).`, () => api('/_fngate/dlq/purge', { method: 'POST', body: sel }));
  };
  const show = async (id) => {
    try {
      const d = await api(`/_fngate/dlq/${id}`);
      clear(payload, panel(`Dead letter ${id}: payload`, h('pre', { class: 'response' }, fmtJson(d.payload)),
        h('button', { type: 'button', onclick: () => clear(payload) }, 'Close')));
      payload.querySelector('button').focus();
    } catch (e) {
      clear(payload, errorMessage(e));
    }
  };

  const loadQueue = async () => {
    const q = await api('/_fngate/queue');
    return [table([
      { label: 'Function', get: (f) => h('a', { href: `#/functions/${encodeURIComponent(f.name)}/monitor` }, f.name) },
      { label: 'Queued', num: true, get: (f) => f.queued },
      { label: 'In flight', num: true, get: (f) => f.inFlight },
      { label: 'Retrying', num: true, get: (f) => f.retrying },
      { label: 'Oldest event age', num: true, get: (f) => fmtMs(f.oldestEventAgeMs) },
      { label: 'Dead letters', num: true, get: (f) => f.deadLetters },
      { label: 'Workers (running)', num: true, get: (f) => f.pool ? `${f.pool.workers} (${f.pool.concurrent})` : '—' },
    ], q.functions, 'No functions.'),
    q.memory ? h('p', { class: 'muted' }, `Queued payloads in memory: ${q.memory.payloadBytes} of ${q.memory.limitBytes} bytes.`) : null];
  };
  const loadDlq = () => fill(dlq, async () => {
    const r = await api('/_fngate/dlq?limit=100');
    const items = r.items || [];
    return [
      h('div', { class: 'actions' },
        button('Redrive all', () => Promise.all([...new Set(items.map((d) => d.function))]
          .map((f) => api('/_fngate/dlq/redrive', { method: 'POST', body: { function: f } })))
          .then((rs) => clear(dlqStatus, message(`Redrove ${rs.reduce((a, x) => a + x.redriven, 0)} dead letter(s).`, 'ok')),
                (e) => clear(dlqStatus, errorMessage(e)))
          .then(() => { loadDlq(); fill(queue, loadQueue); })),
        button('Purge all…', () => purge({ all: true }, 'every dead letter'), 'danger')),
      table([
        { label: 'ID', num: true, get: (d) => d.id },
        { label: 'Function', get: (d) => d.function },
        { label: 'Condition', get: (d) => d.condition },
        { label: 'Attempts', num: true, get: (d) => d.attempts },
        { label: 'Failed at', get: (d) => fmtTime(d.failedAt) },
        { label: 'Error', get: (d) => d.errorType ? `${d.errorType}: ${d.errorMessage || ''}` : '—' },
        { label: 'Actions', get: (d) => h('div', { class: 'row-actions' },
            h('button', { type: 'button', onclick: () => show(d.id), 'aria-label': `Show payload of dead letter ${d.id}` }, 'Payload'),
            h('button', { type: 'button', onclick: () => redrive({ ids: [d.id] }, ` (${d.id})`), 'aria-label': `Redrive dead letter ${d.id}` }, 'Redrive'),
            h('button', { type: 'button', class: 'danger', onclick: () => purge({ ids: [d.id] }, `dead letter ${d.id}`),
                          'aria-label': `Purge dead letter ${d.id}` }, 'Purge…')) },
      ], items, 'No dead letters.'),
      r.total > items.length ? h('p', { class: 'muted' }, `Showing the newest ${items.length} of ${r.total}.`) : null,
    ];
  });
  const loadSchedules = async () => {
    const s = await api('/_fngate/schedules');
    const lat = s.fireLatencyMs || {};
    return [table([
      { label: 'Schedule', get: (e) => e.name },
      { label: 'Function', get: (e) => e.function },
      { label: 'Expression', get: (e) => h('code', {}, e.expression) },
      { label: 'Time zone', get: (e) => e.timezone },
      { label: 'Last fire', get: (e) => fmtTime(e.lastFire) },
      { label: 'Next fire', get: (e) => fmtTime(e.nextFire) },
      { label: 'Fired', num: true, get: (e) => e.fired },
    ], s.schedules, 'No schedules are configured.'),
    h('p', { class: 'muted' }, `Lateness of on-time fires (tick to durable commit): p50 ${lat.p50 ?? 0} ms, `,
      `p99 ${lat.p99 ?? 0} ms, max ${lat.max ?? 0} ms over ${lat.count ?? 0} fires; `,
      `${s.fired ?? 0} fired, ${s.skipped ?? 0} skipped, ${s.failed ?? 0} failed since start.`)];
  };
  const loadAll = () => {
    fill(queue, loadQueue);
    loadDlq();
    fill(schedules, loadSchedules);
    for (const [k, el] of Object.entries(sources))
      fill(el, async () => autoTable(firstArray(await api(`/_fngate/${k}`)), `No ${k} are configured.`));
  };

  clear(main, h('h1', {}, 'Operations'),
    panel('Asynchronous invocation queue', queue),
    panel('Dead letters', dlqStatus, dlq, payload),
    panel('Schedules', schedules),
    panel('Sources', h('h3', {}, 'Queues (Redis streams, SQS events)'), sources.queues,
      h('h3', {}, 'Topics (Redis pub/sub, SNS events)'), sources.topics,
      h('h3', {}, 'Streams (Kafka)'), sources.streams,
      h('h3', {}, 'Folders'), sources.folders));
  loadAll();
  const tick = () => { fill(queue, loadQueue); timer = setTimeout(tick, REFRESH_MS); };
  timer = setTimeout(tick, REFRESH_MS);
  return () => { clearTimeout(timer); };
}
