// SPDX-License-Identifier: MIT
// tab_config.js - the Configuration tab: the function's settings read-only, each with the
// file:line:col it is written at (GET /_fngate/functions/NAME: config, environment, role).
import { clear, errorMessage, h, message, panel, table } from './ui.js';

const show = (v) => (v === null || v === undefined) ? h('span', { class: 'muted' }, '—')
  : typeof v === 'object' ? h('code', {}, JSON.stringify(v)) : String(v);

export function renderConfig(body, name, info) {
  clear(body, message('Loading…', 'note'));
  info.then((f) => {
    const statements = (f.role && f.role.statements) || [];
    clear(body,
      panel('General configuration', table([
        { label: 'Setting', get: (c) => h('code', {}, c.key) },
        { label: 'Value', get: (c) => show(c.value) },
        { label: 'Where', get: (c) => c.pos ? h('code', {}, c.pos) : h('span', { class: 'muted' }, 'default') },
      ], f.config, 'No settings.')),
      panel('Environment variables', table([
        { label: 'Key', get: (e) => h('code', {}, e[0]) },
        { label: 'Value', get: (e) => e[1] === '****' ? h('span', { class: 'muted', title: 'masked: the name looks secret' }, '****') : show(e[1]) },
      ], Object.entries(f.environment || {}), 'No environment variables.')),
      panel(`Execution role${f.role && f.role.name ? ': ' + f.role.name : ''}`, table([
        { label: 'Effect', get: (s) => s.effect },
        { label: 'Actions', get: (s) => h('code', {}, (s.action || []).join(', ')) },
        { label: 'Resources', get: (s) => h('code', {}, (s.resource || []).join(', ')) },
      ], statements, 'The role has no statements.')));
  }, (e) => clear(body, errorMessage(e)));
  return () => {};
}
