// SPDX-License-Identifier: MIT
// tab_logs.js - the Logs tab: the function's stored log lines, newest first, filtered by
// text and request id (GET /_fngate/logs/NAME), and a live tail that long-polls with
// after=NEXT&wait=20 until it is stopped or the page is left.
import { api } from './api.js';
import { clear, errorMessage, fmtTime, h, message, panel } from './ui.js';

const KEEP = 2000;               // lines shown at most; older ones drop off the bottom

export function renderLogs(body, name) {
  let alive = true;
  let tail = null;               // AbortController of the running tail
  let next = null;
  const filter = h('input', { id: 'log-filter', type: 'search', placeholder: 'Text the line contains', autocomplete: 'off' });
  const rid = h('input', { id: 'log-request-id', type: 'search', placeholder: 'Request ID', autocomplete: 'off' });
  const status = h('div', { 'aria-live': 'polite' });
  const list = h('ol', { class: 'loglines', 'aria-label': 'Log lines, newest first' });
  const tailBtn = h('button', { type: 'button', 'aria-pressed': 'false' }, 'Start live tail');
  const base = `/_fngate/logs/${encodeURIComponent(name)}`;
  const query = () => {
    const q = new URLSearchParams();
    if (filter.value) q.set('filter', filter.value);
    if (rid.value) q.set('request_id', rid.value.trim());
    return q;
  };
  const line = (r) => h('li', {}, h('span', { class: 'ts' }, fmtTime(r.ts, true)),
    r.request_id ? h('button', { type: 'button', class: 'link rid', title: 'Show only this request',
                                 onclick: () => { rid.value = r.request_id; search(); } }, r.request_id.slice(0, 8)) : h('span', { class: 'rid' }),
    h('span', { class: 'text' }, r.line));
  const prepend = (records) => {
    for (const r of records) list.prepend(line(r));
    while (list.childElementCount > KEEP) list.lastChild.remove();
  };

  const search = async () => {
    stopTail();
    clear(status, message('Loading…', 'note'));
    try {
      const q = query();
      q.set('limit', '500');
      const r = await api(`${base}?${q}`);
      if (!alive) return;
      next = r.next;
      clear(list);
      prepend(r.records || []);
      clear(status, (r.records || []).length ? null : message('No log lines match.', 'note'),
            r.truncated ? message('Older lines match too: narrow the filter to see them.', 'note') : null);
    } catch (e) {
      if (alive) clear(status, errorMessage(e));
    }
  };
  const runTail = async (ctl) => {
    while (alive && tail === ctl) {
      try {
        const q = query();
        if (next) q.set('after', next);
        q.set('wait', '20');
        const r = await api(`${base}?${q}`, { signal: ctl.signal });
        if (tail !== ctl) return;
        if (r.next) next = r.next;
        prepend(r.records || []);
      } catch (e) {
        if (e.name === 'AbortError' || tail !== ctl) return;
        clear(status, errorMessage(e));
        stopTail();
        return;
      }
    }
  };
  function stopTail() {
    if (tail) tail.abort();
    tail = null;
    tailBtn.textContent = 'Start live tail';
    tailBtn.setAttribute('aria-pressed', 'false');
  }
  tailBtn.addEventListener('click', () => {
    if (tail) return stopTail();
    tail = new AbortController();
    tailBtn.textContent = 'Stop live tail';
    tailBtn.setAttribute('aria-pressed', 'true');
    runTail(tail);
  });
  const form = h('form', { class: 'toolbar', role: 'search' },
    h('label', { for: 'log-filter', class: 'sr-only' }, 'Filter'), filter,
    h('label', { for: 'log-request-id', class: 'sr-only' }, 'Request ID'), rid,
    h('button', { type: 'submit', class: 'primary' }, 'Search'), tailBtn);
  form.addEventListener('submit', (ev) => { ev.preventDefault(); search(); });
  clear(body, panel('Log events', form, status, list));
  search();
  return () => { alive = false; stopTail(); };
}
