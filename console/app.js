// SPDX-License-Identifier: MIT
// app.js - the console's shell: login, the hash routes, the navigation.
//   #/functions                   the Functions page (page_functions.js)
//   #/functions/NAME[/TAB]        a Function page, TAB test|monitor|logs|configuration|cost
//   #/operations                  async queue, dead letters, schedules, sources
import { api, ApiError, setUnauthorizedHandler } from './api.js';
import { clear, h, message } from './ui.js';
import { renderFunctions } from './page_functions.js';
import { renderFunction } from './page_function.js';
import { renderOperations } from './page_operations.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
let leave = null;             // the current page's cleanup (timers, live tails)
let signedIn = false;

function stopPage() {
  if (leave) leave();
  leave = null;
}

function showLogin(note) {
  stopPage();
  signedIn = false;
  nav.hidden = true;
  const input = h('input', { id: 'token', type: 'password', name: 'token', autocomplete: 'current-password',
                             required: true, spellcheck: 'false' });
  const status = h('div', { class: 'login-status', 'aria-live': 'polite' }, note ? message(note, 'note') : null);
  const form = h('form', { class: 'login panel', novalidate: true },
    h('h1', {}, 'Sign in to fngate'),
    h('p', { class: 'muted' }, 'Paste the admin token: fngate prints where it keeps it when it starts ',
      '(admin.token_file, by default STATE_DIR/admin.token).'),
    h('label', { for: 'token' }, 'Admin token'), input,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clear(status);
    try {
      await api('/_fngate/login', { method: 'POST', body: { token: input.value.trim() } });
      signedIn = true;
      route();
    } catch (e) {
      clear(status, message(e.status === 401 ? 'Sign-in failed: that is not the admin token.' : e.message));
      input.select();
    }
  });
  clear(main, form);
  input.focus();
}

async function route() {
  stopPage();
  if (!signedIn) {
    try {
      await api('/_fngate/queue');
      signedIn = true;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return showLogin();
      clear(main, message(e.message));
      return;
    }
  }
  nav.hidden = false;
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const page = parts[0] || 'functions';
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.nav === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  clear(main);
  if (page === 'functions' && parts[1]) leave = renderFunction(main, parts[1], parts[2] || 'test');
  else if (page === 'functions') leave = renderFunctions(main);
  else if (page === 'operations') leave = renderOperations(main);
  else clear(main, message(`No page ${location.hash}.`, 'note'), h('a', { href: '#/functions' }, 'Functions'));
}

setUnauthorizedHandler(() => {
  if (signedIn) showLogin('Your session ended: sign in again.');
});

document.getElementById('logout').addEventListener('click', async () => {
  try { await api('/_fngate/logout', { method: 'POST', body: {} }); } catch (e) { /* signed out anyway */ }
  showLogin('Signed out.');
});

window.addEventListener('hashchange', () => route());
route();
