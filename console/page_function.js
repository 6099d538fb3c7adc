// SPDX-License-Identifier: MIT
// page_function.js - a Function page as Lambda's console lays it out: the function's
// overview (GET /_fngate/functions/NAME), then the tabs Test, Monitor, Logs, Configuration
// and Cost, each its own module; the tab is the route's third part.
import { api, fnPath } from './api.js';
import { clear, errorMessage, h } from './ui.js';
import { triggerText } from './page_functions.js';
import { renderTest } from './tab_test.js';
import { renderMonitor } from './tab_monitor.js';
import { renderLogs } from './tab_logs.js';
import { renderConfig } from './tab_config.js';
import { renderCost } from './tab_cost.js';

const TABS = [
  ['test', 'Test', renderTest],
  ['monitor', 'Monitor', renderMonitor],
  ['logs', 'Logs', renderLogs],
  ['configuration', 'Configuration', renderConfig],
  ['cost', 'Cost', renderCost],
];

export function renderFunction(main, name, tab) {
  const overview = h('div', { class: 'overview' }, h('p', { class: 'muted' }, 'Loading…'));
  const info = api(fnPath(name));
  const current = TABS.find((t) => t[0] === tab) || TABS[0];
  const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': `${name} tabs` },
    TABS.map(([id, label]) => h('a', { role: 'tab', id: `tab-${id}`, href: `#/functions/${encodeURIComponent(name)}/${id}`,
                                       'aria-selected': id === current[0] ? 'true' : 'false' }, label)));
  const body = h('div', { class: 'tab-body', role: 'tabpanel', 'aria-labelledby': `tab-${current[0]}` });
  clear(main, h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/functions' }, 'Functions'), ' › ', name),
        h('h1', {}, name), overview, tabs, body);

  info.then((f) => {
    clear(overview, h('dl', { class: 'facts' },
      h('div', {}, h('dt', {}, 'Runtime'), h('dd', {}, f.runtime)),
      h('div', {}, h('dt', {}, 'Handler'), h('dd', {}, f.handler)),
      h('div', {}, h('dt', {}, 'Memory'), h('dd', {}, `${f.memoryMb} MB`)),
      h('div', {}, h('dt', {}, 'Timeout'), h('dd', {}, `${f.timeoutS} s`)),
      h('div', {}, h('dt', {}, 'Concurrency'), h('dd', {}, `${f.concurrent} running / ${f.reservedConcurrency ?? 'unreserved'}`)),
      h('div', { class: 'wide' }, h('dt', {}, 'Triggers'), h('dd', {}, (f.triggers || []).length
        ? h('ul', { class: 'triggers' }, f.triggers.map((t) => h('li', {}, triggerText(t)))) : 'none'))));
  }, (e) => clear(overview, errorMessage(e)));
  info.catch(() => {});
  return current[2](body, name, info);
}
