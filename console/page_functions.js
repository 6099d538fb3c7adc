// SPDX-License-Identifier: MIT
// page_functions.js - the Functions page: every function with runtime, memory, timeout,
// concurrency, triggers and the last hour's health (GET /_fngate/functions and
// /_fngate/metrics/summary?period=1h).
import { api } from './api.js';
import { clear, errorMessage, fmtTime, h, message, panel, table } from './ui.js';

const fnLink = (name, tab) => h('a', { href: `#/functions/${encodeURIComponent(name)}${tab ? '/' + tab : ''}` }, name);

// One trigger as a short line, as the Lambda console's trigger list names them.
export function triggerText(t) {
  switch (t.type) {
    case 'http': return h('span', {}, h('b', {}, 'API '), t.routeKey || `${t.method} ${t.path}`);
    case 'url': return h('span', {}, h('b', {}, 'URL '), t.url, ` (${t.authType || 'NONE'}, ${t.invokeMode || 'BUFFERED'})`);
    case 'schedule': return h('span', {}, h('b', {}, 'Schedule '), `${t.name || ''} ${t.expression}`,
                              t.nextFire ? [' next ', fmtTime(t.nextFire)] : '');
    case 'fs': return h('span', {}, h('b', {}, 'Folder '), t.path, t.bucket ? ` (bucket ${t.bucket})` : '');
    case 's3': return h('span', {}, h('b', {}, 'S3 '), t.bucket, t.events ? ` ${t.events.join(', ')}` : '');
    case 'queue': return h('span', {}, h('b', {}, 'Queue '), `${t.stream} / ${t.group}`);
    case 'topic': return h('span', {}, h('b', {}, 'Topic '), t.channel);
    case 'stream': return h('span', {}, h('b', {}, 'Stream '), t.topic);
    default: return h('span', {}, h('b', {}, `${t.type} `), JSON.stringify(t));
  }
}

function health(s) {
  if (!s) return h('span', { class: 'muted' }, '—');
  const bad = s.errors > 0 || s.throttles > 0;
  return h('span', { class: bad ? 'health bad' : 'health ok',
                     title: `${s.invocations} invocations, ${s.errors} errors, ${s.throttles} throttles in the last hour` },
           `${s.invocations} inv · ${s.errors} err · ${s.throttles} thr`);
}

export function renderFunctions(main) {
  const body = h('div', { class: 'panel-body' }, h('p', { class: 'muted' }, 'Loading…'));
  const note = h('div');
  clear(main, h('h1', {}, 'Functions'), panel(null, note, body));
  let alive = true;

  (async () => {
    const [fns, summary] = await Promise.allSettled([api('/_fngate/functions'), api('/_fngate/metrics/summary?period=1h')]);
    if (!alive) return;
    if (summary.status === 'rejected') note.append(message(`Health of the last hour: ${summary.reason.message}`, 'warn'));
    const sums = summary.status === 'fulfilled' && summary.value && summary.value.functions ? summary.value.functions : {};
    if (fns.status === 'rejected') {
      note.append(errorMessage(fns.reason));
      // Still list the names (the async queue's view has every function) so pages are reachable.
      try {
        const q = await api('/_fngate/queue');
        if (!alive) return;
        clear(body, table([
          { label: 'Function name', get: (f) => fnLink(f.name) },
          { label: 'Last hour', get: (f) => health(sums[f.name]) },
        ], q.functions, 'No functions are configured.'));
      } catch (e) {
        clear(body, errorMessage(e));
      }
      return;
    }
    clear(body, table([
      { label: 'Function name', get: (f) => fnLink(f.name) },
      { label: 'Runtime', get: (f) => f.runtime },
      { label: 'Memory (MB)', num: true, get: (f) => f.memoryMb },
      { label: 'Timeout', num: true, get: (f) => `${f.timeoutS} s` },
      { label: 'Concurrency', num: true, get: (f) => h('span', { title: 'in use now / reserved (warm workers)' },
          `${f.concurrent} / ${f.reservedConcurrency ?? 'unreserved'} (${f.workers} warm)`) },
      { label: 'Triggers', get: (f) => (f.triggers && f.triggers.length)
          ? h('ul', { class: 'triggers' }, f.triggers.map((t) => h('li', {}, triggerText(t))))
          : h('span', { class: 'muted' }, 'none') },
      { label: 'Last hour', get: (f) => health(sums[f.name]) },
    ], fns.value.functions, 'No functions are configured.'));
  })();
  return () => { alive = false; };
}
