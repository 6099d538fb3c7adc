// SPDX-License-Identifier: MIT
// ui.js - small DOM helpers every page uses: elements, panels, tables, messages, times
// (the browser's zone shown, UTC in the title) and the confirmation dialog.

// h('div', {class: 'x', onclick: fn, title: 't'}, child, 'text', [more]) -> element
export function h(tag, attrs, ...children) {
  const ns = tag.startsWith('svg:') ? 'http://www.w3.org/2000/svg' : null;
  const el = ns ? document.createElementNS(ns, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else if (k === 'class' && !ns) el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// A message in a panel: an admin API error, or a note. Never a blank panel.
export function message(text, kind = 'error') {
  return h('div', { class: `msg ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

export function errorMessage(e) {
  return message(e && e.message ? e.message : String(e));
}

export function panel(title, ...children) {
  return h('section', { class: 'panel' }, title ? h('h2', {}, title) : null, ...children);
}

// A time (epoch ms, epoch s when small, or an ISO string) in the browser's zone, UTC on hover.
export function fmtTime(v, precise = false) {
  if (v === null || v === undefined || v === '') return h('span', { class: 'muted' }, '—');
  let d = typeof v === 'number' ? new Date(v < 1e11 ? v * 1000 : v) : new Date(v);
  if (isNaN(d.getTime())) return h('span', {}, String(v));
  return h('time', { datetime: d.toISOString(), title: d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') },
           precise ? `${d.toLocaleDateString(undefined, { month: 'short', day: '2-digit' })} ${
             d.toLocaleTimeString(undefined, { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`
             : d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit',
                                             minute: '2-digit', second: '2-digit' }));
}

export function fmtMs(v) {
  if (v === null || v === undefined) return '—';
  return v >= 10000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v * 100) / 100} ms`;
}

export function fmtNum(v, digits = 0) {
  if (v === null || v === undefined) return '—';
  return Number(v).toLocaleString(undefined, { maximumFractionDigits: digits });
}

export function fmtJson(v) {
  return JSON.stringify(v, null, 2);
}

// columns: [{label, get: row => node|string, num: true}], rows: [...]
export function table(columns, rows, empty = 'Nothing yet.') {
  if (!rows || rows.length === 0) return message(empty, 'note');
  return h('div', { class: 'table-wrap' },
    h('table', {},
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) => {
        const v = c.get(r);
        return h('td', { class: c.num ? 'num' : null, 'data-label': c.label }, v === undefined || v === null ? '—' : v);
      }))))));
}

// Any list of objects as a table of their keys (the sources' views).
export function autoTable(rows, empty) {
  const keys = [];
  for (const r of rows || []) for (const k of Object.keys(r)) if (!keys.includes(k)) keys.push(k);
  return table(keys.map((k) => ({
    label: k,
    get: (r) => {
      const v = r[k];
      if (v !== null && typeof v === 'object') return h('code', {}, JSON.stringify(v));
      if (typeof v === 'boolean') return v ? 'yes' : 'no';
      if (/(At|Fire|Time|time|ts)$/.test(k) && v) return fmtTime(v);
      return v;
    },
  })), rows, empty);
}

// Resolves true when the user confirms (the native <dialog>: keyboard and Escape work).
export function confirmDialog(title, text, okLabel = 'Confirm') {
  const dlg = document.getElementById('confirm');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = okLabel;
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => resolve(dlg.returnValue === 'ok'), { once: true });
    dlg.returnValue = 'cancel';
    dlg.showModal();
  });
}

// A button that runs an async action, disabled while it runs.
export function button(label, action, cls) {
  const b = h('button', { type: 'button', class: cls });
  b.textContent = label;
  b.addEventListener('click', async () => {
    b.disabled = true;
    try { await action(b); } finally { b.disabled = false; }
  });
  return b;
}
