// SPDX-License-Identifier: MIT
// api.js - the console's one way to ask the admin API: same-origin fetch with the session
// cookie and X-Fngate-Console: 1; every failure becomes an ApiError whose message is the
// API's {"message"} (or what went wrong), for the panel to show.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

export async function api(path, { method = 'GET', body, signal } = {}) {
  const opts = { method, headers: { 'X-Fngate-Console': '1' }, credentials: 'same-origin', signal };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let r;
  try {
    r = await fetch(path, opts);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, `${method} ${path.split('?')[0]}: cannot reach fngate (${e.message})`);
  }
  const text = await r.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
  if (!r.ok) {
    if (r.status === 401 && path !== '/_fngate/login') onUnauthorized();
    const why = json && typeof json.message === 'string' ? json.message : (text.slice(0, 200) || r.statusText);
    throw new ApiError(r.status, `${method} ${path.split('?')[0]}: HTTP ${r.status}: ${why}`);
  }
  if (json === null && text) throw new ApiError(r.status, `${method} ${path.split('?')[0]}: the answer is not JSON`);
  return json;
}

export const fnPath = (name) => `/_fngate/functions/${encodeURIComponent(name)}`;
