// SPDX-License-Identifier: MIT
// tab_test.js - the Test tab: saved test events (GET/POST /_fngate/functions/NAME/test-events,
// .../test-events/delete), templates, and the Test button (POST .../invoke) with the
// Execution results panel: response, log output, Duration, Billed Duration, Max Memory Used,
// Init Duration.
import { api, fnPath } from './api.js';
import { button, clear, confirmDialog, errorMessage, fmtJson, fmtTime, h, message, panel } from './ui.js';
import { TEMPLATES } from './templates.js';

const NAME_RE = /^[A-Za-z0-9_-]{1,25}$/;

export function renderTest(body, name) {
  let alive = true;
  let saved = [];
  const base = fnPath(name);
  const status = h('div', { 'aria-live': 'polite' });
  const results = h('div', { id: 'execution-results' });
  const modeNew = h('input', { type: 'radio', name: 'evmode', id: 'ev-new', value: 'new', checked: true });
  const modeSaved = h('input', { type: 'radio', name: 'evmode', id: 'ev-saved', value: 'saved' });
  const savedSel = h('select', { id: 'ev-saved-list', 'aria-label': 'Saved event' });
  const evName = h('input', { id: 'ev-name', type: 'text', maxlength: 25, autocomplete: 'off', placeholder: 'MyEventName' });
  const tmplSel = h('select', { id: 'ev-template' },
    Object.keys(TEMPLATES).map((k) => h('option', { value: k }, k)));
  const json = h('textarea', { id: 'ev-json', rows: 14, spellcheck: 'false', 'aria-label': 'Event JSON' });
  json.value = fmtJson(TEMPLATES['hello-world']);

  const parseEvent = () => {
    try { return { ok: true, value: JSON.parse(json.value) }; } catch (e) {
      return { ok: false, why: `The event is not JSON: ${e.message}` };
    }
  };
  const say = (node) => clear(status, node);

  const loadSaved = async (select) => {
    try {
      const r = await api(`${base}/test-events`);
      if (!alive) return;
      saved = r.events || [];
      clear(savedSel, saved.length ? saved.map((e) => h('option', { value: e.name }, e.name))
                                   : h('option', { value: '' }, 'No saved events'));
      modeSaved.disabled = !saved.length;
      if (select && saved.some((e) => e.name === select)) {
        savedSel.value = select;
        modeSaved.checked = true;
        showSaved();
      }
    } catch (e) {
      if (!alive) return;
      clear(savedSel, h('option', { value: '' }, 'Saved events unavailable'));
      modeSaved.disabled = true;
      say(message(`Saved events: ${e.message}`, 'warn'));
    }
  };
  const showSaved = () => {
    const ev = saved.find((e) => e.name === savedSel.value);
    if (!ev) return;
    evName.value = ev.name;
    json.value = fmtJson(ev.event);
  };
  savedSel.addEventListener('change', () => { modeSaved.checked = true; showSaved(); });
  modeSaved.addEventListener('change', showSaved);
  modeNew.addEventListener('change', () => { evName.value = ''; json.value = fmtJson(TEMPLATES[tmplSel.value]); });
  tmplSel.addEventListener('change', () => { modeNew.checked = true; json.value = fmtJson(TEMPLATES[tmplSel.value]); });

  const save = async () => {
    const ev = parseEvent();
    if (!NAME_RE.test(evName.value)) return say(message('Event name: 1 to 25 letters, digits, - or _.'));
    if (!ev.ok) return say(message(ev.why));
    try {
      await api(`${base}/test-events`, { method: 'POST', body: { name: evName.value, event: ev.value } });
      say(message(`The test event ${evName.value} was saved.`, 'ok'));
      await loadSaved(evName.value);
    } catch (e) { say(errorMessage(e)); }
  };
  const del = async () => {
    const n = modeSaved.checked ? savedSel.value : '';
    if (!n) return say(message('Choose a saved event to delete.', 'note'));
    if (!await confirmDialog('Delete test event', `Delete the saved test event ${n}?`, 'Delete')) return;
    try {
      await api(`${base}/test-events/delete`, { method: 'POST', body: { name: n } });
      say(message(`The test event ${n} was deleted.`, 'ok'));
      modeNew.checked = true;
      evName.value = '';
      await loadSaved();
    } catch (e) { say(errorMessage(e)); }
  };
  const format = () => {
    const ev = parseEvent();
    if (ev.ok) json.value = fmtJson(ev.value); else say(message(ev.why));
  };
  const test = async () => {
    const ev = parseEvent();
    if (!ev.ok) return say(message(ev.why));
    say(null);
    clear(results, panel('Execution results', message('Invoking…', 'note')));
    try {
      const r = await api(`${base}/invoke`, { method: 'POST', body: { payload: ev.value } });
      if (alive) clear(results, executionResults(r));
    } catch (e) {
      if (alive) clear(results, panel('Execution results', errorMessage(e)));
    }
  };

  clear(body,
    panel('Test event',
      h('fieldset', { class: 'radios' }, h('legend', {}, 'Test event action'),
        h('label', {}, modeNew, ' Create new event'), h('label', {}, modeSaved, ' Edit saved event'), savedSel),
      h('div', { class: 'grid2' },
        h('div', {}, h('label', { for: 'ev-name' }, 'Event name'), evName),
        h('div', {}, h('label', { for: 'ev-template' }, 'Template'), tmplSel)),
      h('label', { for: 'ev-json' }, 'Event JSON'), json,
      h('div', { class: 'actions' },
        button('Delete', del), button('Format JSON', format), button('Save', save),
        button('Test', test, 'primary')),
      status),
    results);
  loadSaved();
  return () => { alive = false; };
}

// The panel Lambda's console shows after Test.
function executionResults(r) {
  const ok = r.status === 'succeeded';
  const fact = (k, v) => h('div', {}, h('dt', {}, k), h('dd', {}, v));
  return panel('Execution results',
    h('p', { class: ok ? 'result ok' : 'result bad', role: 'status' },
      `Execution result: ${ok ? 'succeeded' : 'failed'}`, r.functionError ? ` (${r.functionError})` : ''),
    h('h3', {}, 'Response'), h('pre', { class: 'response' }, fmtJson(r.response)),
    h('h3', {}, 'Summary'),
    h('dl', { class: 'facts' },
      fact('Request ID', h('code', {}, r.requestId)),
      fact('Duration', `${r.durationMs} ms`),
      fact('Billed Duration', `${r.billedDurationMs} ms`),
      fact('Resources configured', `${r.memorySizeMb} MB`),
      fact('Max Memory Used', `${r.maxMemoryUsedMb} MB`),
      fact('Init Duration', r.initDurationMs === null || r.initDurationMs === undefined ? '— (warm start)' : `${r.initDurationMs} ms`),
      fact('Time', fmtTime(Date.now()))),
    h('h3', {}, 'Log output'), h('pre', { class: 'logs' }, r.logs || ''));
}
