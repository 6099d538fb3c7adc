// SPDX-License-Identifier: MIT
// fngate's Node.js runtime: loads _HANDLER from LAMBDA_TASK_ROOT and serves it over the AWS
// Lambda Runtime API, as Lambda's own Node.js runtime does. No npm packages.
//
// Handlers may be async (return a promise) or callback style (event, context, callback).
// The context has awsRequestId, functionName, functionVersion, invokedFunctionArn,
// memoryLimitInMB, logGroupName, logStreamName, getRemainingTimeInMillis() and
// callbackWaitsForEmptyEventLoop. console.* lines are written as Lambda writes them:
// "TIME\tREQUEST_ID\tLEVEL\tmessage".
//
// Errors are posted as AWS's runtime interface client (aws-lambda-nodejs-runtime-interface-client,
// Errors.js toRapidResponse) posts them: {errorType, errorMessage, trace}, trace being the
// error's stack split into lines ("TypeError: bad input", "    at exports.handler (/task/index.js:2:9)",
// ...); a thrown value that is not an Error gives errorType `typeof value` and an empty trace.
// One difference: the frames of this file (and the Node internals that called into it) are
// left out, where AWS's trace ends with its /var/runtime/index.mjs frames; they say nothing
// about the handler. Init errors are Runtime.MalformedHandlerName, Runtime.ImportModuleError
// (a module that cannot be found), Runtime.UserCodeSyntaxError and Runtime.HandlerNotFound,
// each an Error whose trace starts "Runtime.X: message"; anything else the module throws while
// it loads is posted as itself.
//
// The Runtime API client is a small HTTP/1.1 one on a net.Socket rather than the http module,
// which waits for each answer before it sends the next request: an invocation's result and
// the next GET /next go out in one write (HTTP/1.1 pipelining), one round trip less per
// invocation. A response over Lambda's 6291556 bytes goes alone, as its 413 is followed by
// an error post.
//
// Response streaming, as Lambda's Node.js runtime offers it: the global `awslambda` has
// streamifyResponse(handler) (the handler is then called as (event, responseStream,
// context) and must return a promise) and HttpResponseStream.from(stream, {statusCode,
// headers, cookies}) (for function URLs: the stream's Content-Type becomes
// application/vnd.awslambda.http-integration-response and its first bytes are the JSON
// prelude, then 8 NUL bytes). The response stream is a Node http.ClientRequest POSTing
// /response with Lambda-Runtime-Function-Response-Mode: streaming and chunked encoding, so
// write/end and back-pressure ('drain') are a Writable's; a handler that throws or rejects
// ends it with the Lambda-Runtime-Function-Error-Type and -Error-Body (base64 JSON)
// trailers, as aws-lambda-nodejs-runtime-interface-client does.
'use strict';

const fs = require('fs');
const http = require('http');
const net = require('net');
const path = require('path');
const util = require('util');
const { pathToFileURL } = require('url');

const [HOST, PORT] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const PREFIX = '/2018-06-01/runtime';
const RESPONSE_MAX_BYTES = 6291556;
const NEXT = ['GET', '/invocation/next'];
let currentRequestId = undefined;

// HTTP/1.1 keep-alive client for the Runtime API, and nothing more: one exchange at a time,
// each a batch of requests written at once whose answers are read in order. Answers carry
// Content-Length, as fngate always sends it.
class RuntimeClient {
  constructor(host, port) {
    this.host = host;
    this.port = Number(port);
    this.sock = null;
    this.chunks = [];
    this.buffered = 0;
    this.need = 0;            // bytes the answer being read needs before parsing again
    this.pending = null;      // { n, answers, resolve, reject } of the exchange under way
  }

  connect() {
    const sock = net.connect({ host: this.host, port: this.port });
    sock.setNoDelay(true);
    sock.on('data', (d) => { if (this.sock === sock) this.onData(d); });
    const gone = (e) => {
      if (this.sock === sock) this.sock = null;
      this.fail(sock, e || new Error('Runtime API closed the connection'));
    };
    sock.on('error', gone);
    sock.on('close', () => gone());
    this.sock = sock;
    this.chunks = [];
    this.buffered = 0;
    this.need = 0;
  }

  // The exchange on sock (if any) ends with e, which carries the answers read before it.
  fail(sock, e) {
    const p = this.pending;
    if (!p || p.sock !== sock) return;
    this.pending = null;
    e.answers = p.answers;
    p.reject(e);
  }

  onData(d) {
    this.chunks.push(d);
    this.buffered += d.length;
    if (this.buffered < this.need || !this.pending) return;
    let buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    for (;;) {
      const p = this.pending;
      const res = p && this.parse(buf);
      if (!res) break;
      buf = buf.subarray(res.used);
      p.answers.push(res.answer);
      if (p.answers.length === p.n) {
        this.pending = null;
        p.resolve(p.answers);
      }
    }
    this.chunks = buf.length ? [buf] : [];
    this.buffered = buf.length;
  }

  // { answer: { status, headers, body }, used } for the answer at buf's start, or null
  // (this.need then says how much to wait for).
  parse(buf) {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) {
      this.need = buf.length + 1;
      return null;
    }
    const lines = buf.toString('latin1', 0, end).split('\r\n');
    const headers = {};
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const used = end + 4 + Number(headers['content-length'] || 0);
    if (buf.length < used) {
      this.need = used;
      return null;
    }
    this.need = 0;
    const status = Number(lines[0].split(' ')[1]);
    return { answer: { status, headers, body: Buffer.from(buf.subarray(end + 4, used)) }, used };
  }

  static request(method, urlPath, body, headers) {
    const b = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
    let head = `${method} ${PREFIX}${urlPath} HTTP/1.1\r\nHost: ${HOST}:${PORT}\r\nContent-Length: ${b.length}\r\n`;
    for (const [k, v] of Object.entries(headers || {})) head += `${k}: ${v}\r\n`;
    return Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), b]);
  }

  send(requests) {
    return new Promise((resolve, reject) => {
      if (!this.sock) this.connect();
      this.pending = { sock: this.sock, n: requests.length, answers: [], resolve, reject };
      this.sock.write(Buffer.concat(requests.map((r) => RuntimeClient.request(...r))));
    });
  }

  // Sends [method, path, body, headers] requests in one write and resolves with their
  // answers ({ status, headers, body }), in order. A kept-alive connection found closed
  // before any answer is opened again once; an answer lost after that is asked again alone.
  async pipeline(...requests) {
    let answers;
    try {
      return await this.send(requests);
    } catch (e) {
      if (!e.answers) throw e;
      answers = e.answers;
    }
    if (!answers.length) return this.send(requests);
    for (const r of requests.slice(answers.length)) answers.push((await this.send([r]))[0]);
    return answers;
  }

  async call(method, urlPath, body, headers) {
    return (await this.pipeline([method, urlPath, body, headers]))[0];
  }
}

const client = new RuntimeClient(HOST, PORT);
const call = (...args) => client.call(...args);

// Posts the invocation's error (err, an errorBody) or result (out, a JSON string) with the
// next GET /next in the same write; resolves with the /next's answer.
async function postResult(requestId, out, err) {
  if (err) {
    const [, next] = await client.pipeline(['POST', `/invocation/${requestId}/error`, JSON.stringify(err),
      { 'Lambda-Runtime-Function-Error-Type': err.errorType }], NEXT);
    return next;
  }
  if (Buffer.byteLength(out) <= RESPONSE_MAX_BYTES) {
    const [, next] = await client.pipeline(['POST', `/invocation/${requestId}/response`, out,
      { 'Content-Type': 'application/json' }], NEXT);
    return next;
  }
  const res = await call('POST', `/invocation/${requestId}/response`, out, { 'Content-Type': 'application/json' });
  if (res.status === 413) {
    await call('POST', `/invocation/${requestId}/error`, JSON.stringify({
      errorType: 'Function.ResponseSizeTooLarge',
      errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).' }));
  }
  return call(...NEXT);
}

// ---- response streaming (awslambda.streamifyResponse)

const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HANDLER_HIGHWATERMARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
const PRELUDE_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const streamAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });

class HttpResponseStream {
  static from(stream, prelude) {
    stream.setContentType(PRELUDE_CONTENT_TYPE);
    const text = JSON.stringify(prelude);
    stream._onBeforeFirstWrite = (write) => {
      write(text);
      write(new Uint8Array(8));
    };
    return stream;
  }
}

globalThis.awslambda = {
  streamifyResponse: (handler, options) => {
    handler[HANDLER_STREAMING] = 'response';
    if (options && typeof options.highWaterMark === 'number') handler[HANDLER_HIGHWATERMARK] = options.highWaterMark;
    return handler;
  },
  HttpResponseStream,
};

// The response stream of one invocation: { stream, done } where done resolves with the
// Runtime API's answer once the body was sent whole.
function responseStream(requestId, highWaterMark) {
  let started = false;
  const req = http.request({
    host: HOST, port: Number(PORT), method: 'POST', agent: streamAgent, highWaterMark,
    path: `${PREFIX}/invocation/${encodeURIComponent(requestId)}/response`,
    headers: {
      'Lambda-Runtime-Function-Response-Mode': 'streaming',
      'Transfer-Encoding': 'chunked',
      Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
      'Content-Type': 'application/octet-stream',
    },
  });
  const done = new Promise((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
  });
  done.catch(() => {});
  const origWrite = req.write.bind(req);
  const origEnd = req.end.bind(req);
  const first = () => {
    if (started) return;
    started = true;
    if (typeof req._onBeforeFirstWrite === 'function') req._onBeforeFirstWrite((c) => origWrite(c));
  };
  const chunkOf = (c) => (typeof c === 'string' || Buffer.isBuffer(c) || c instanceof Uint8Array ? c : JSON.stringify(c));
  req.setContentType = (type) => {
    if (started) throw new Error('Cannot set content-type, too late.');
    req.setHeader('Content-Type', type);
  };
  req.write = (chunk, encoding, cb) => {
    first();
    return origWrite(chunkOf(chunk), encoding, cb);
  };
  req.end = (chunk, encoding, cb) => {
    first();
    if (typeof chunk === 'function' || chunk === undefined || chunk === null) return origEnd(chunk);
    return origEnd(chunkOf(chunk), encoding, cb);
  };
  const fail = (err) => {
    const body = errorBody(err);
    if (req.writableEnded) return;
    first();
    req.addTrailers({
      'Lambda-Runtime-Function-Error-Type': body.errorType,
      'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(body)).toString('base64'),
    });
    origEnd();
  };
  return { stream: req, done, fail };
}

// One streamed invocation: the handler's (event, responseStream, context).
async function invokeStreaming(fn, event, context, requestId) {
  const { stream, done, fail } = responseStream(requestId, fn[HANDLER_HIGHWATERMARK]);
  try {
    const out = fn(event, stream, context);
    if (!out || typeof out.then !== 'function') throw new Error('Streaming does not support non-async handlers.');
    const result = await out;
    if (result !== undefined) console.warn('Streaming handlers ignore return values.');
    if (!stream.writableEnded) throw new Error('Response stream is not finished.');
  } catch (e) {
    logError('Invoke Error', e);
    fail(e);
  }
  try {
    await done;
  } catch (e) {
    console.error('Runtime API stream failed', e);
  }
}

function patchConsole() {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
  for (const [name, level] of Object.entries(levels)) {
    console[name] = (...args) => {
      const msg = util.format(...args).replace(/\n/g, '\r');
      process.stdout.write(`${new Date().toISOString()}\t${currentRequestId || 'undefined'}\t${level}\t${msg}\n`);
    };
  }
}

// Runtime.* errors: the name is on the prototype, so the stack's first line carries it.
const RuntimeErrors = {};
for (const n of ['MalformedHandlerName', 'ImportModuleError', 'UserCodeSyntaxError', 'HandlerNotFound']) {
  RuntimeErrors[n] = class extends Error {};
  RuntimeErrors[n].prototype.name = `Runtime.${n}`;
}

function isError(e) {
  return util.types.isNativeError(e) || Boolean(e && e.name && e.message && e.stack &&
    typeof e.name === 'string' && typeof e.message === 'string' && typeof e.stack === 'string');
}

const FRAME = /^\s+at /;
const INTERNAL_FRAME = /\((node:[^)]*|<anonymous>)\)$|^\s+at (node:|async Promise\.|<anonymous>)/;

// The stack's lines without this runtime's frames: every frame in this file, and below the
// first of them the Node internals it runs through (new Promise, the task queue). Frames of
// the handler's files stay wherever they are (a handler that calls context.fail() has this
// file's frame above its own).
function traceOf(stack) {
  const out = [];
  let below = false;
  for (const line of stack.split('\n')) {
    if (FRAME.test(line) && line.includes(__filename + ':')) {
      below = true;
      continue;
    }
    if (below && FRAME.test(line) && INTERNAL_FRAME.test(line)) continue;
    out.push(line);
  }
  return out;
}

function errorBody(err) {
  try {
    if (isError(err)) return { errorType: err.name, errorMessage: err.message, trace: traceOf(err.stack) };
    return { errorType: typeof err, errorMessage: String(err), trace: [] };
  } catch (_) {
    return { errorType: 'handled', errorMessage: 'callback called with Error argument, but there was a problem ' +
      'while retrieving one or more of its message, name, and stack' };
  }
}

// The log line AWS's client writes for an error: "LABEL \t{errorType, errorMessage, stack}".
function logError(label, err) {
  const e = isError(err) ? err : new Error(err);
  let text;
  try {
    text = JSON.stringify(Object.assign({ errorType: e.name, errorMessage: e.message, code: e.code }, e,
      { stack: traceOf(e.stack || '') }));
  } catch (_) {
    text = JSON.stringify(errorBody(e));
  }
  console.error(label, '\t' + text);
}

// require() the file, or import() it for ES modules; undefined when it does not exist.
async function loadFile(file, esm) {
  if (!fs.existsSync(file)) return undefined;
  return esm ? import(pathToFileURL(file).href) : require(file);
}

// The handler function, found as AWS's client finds it: "dir/module.a.b" loads dir/module
// (extensionless, .js, .mjs, .cjs, then Node's resolution from the task root, node_modules
// included) and takes its property a.b. Throws the Runtime.* errors above.
async function loadHandler() {
  const spec = process.env._HANDLER || '';
  const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
  if (spec.includes('..')) {
    throw new RuntimeErrors.MalformedHandlerName(`'${spec}' is not a valid handler name. Use absolute paths ` +
      'when specifying root directories in handler names.');
  }
  const base = path.basename(spec);
  const moduleRoot = spec.substring(0, spec.indexOf(base));
  const match = base.match(/^([^.]*)\.(.*)$/);
  if (!match) throw new RuntimeErrors.MalformedHandlerName('Bad handler');
  const [, modName, fnPath] = match;
  const modPath = path.resolve(root, moduleRoot, modName);
  let mod;
  try {
    mod = (await loadFile(modPath)) || (await loadFile(modPath + '.js')) ||
      (await loadFile(modPath + '.mjs', true)) || (await loadFile(modPath + '.cjs'));
    if (!mod) mod = require(require.resolve(modName, { paths: [root, path.resolve(root, moduleRoot)] }));
  } catch (e) {
    if (e instanceof SyntaxError) throw new RuntimeErrors.UserCodeSyntaxError(e);
    if (e && e.code === 'MODULE_NOT_FOUND') throw new RuntimeErrors.ImportModuleError(e);
    throw e;
  }
  let fn = fnPath.split('.').reduce((o, k) => o && o[k], mod);
  if (fn === undefined && mod && mod.default) fn = fnPath.split('.').reduce((o, k) => o && o[k], mod.default);
  if (!fn) throw new RuntimeErrors.HandlerNotFound(`${spec} is undefined or not exported`);
  if (typeof fn !== 'function') throw new RuntimeErrors.HandlerNotFound(`${spec} is not a function`);
  return fn;
}

function invoke(fn, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err, data) => {
      if (settled) return;
      settled = true;
      if (err !== undefined && err !== null) reject(err); else resolve(data);
    };
    context.done = callback;
    context.succeed = (data) => callback(null, data);
    context.fail = (err) => callback(err === undefined || err === null ? 'handled' : err);
    try {
      const out = fn(event, context, callback);
      if (out && typeof out.then === 'function') out.then((d) => callback(null, d), (e) => callback(e));
      else if (fn.length < 3) callback(null, out);
    } catch (e) {
      callback(e);
    }
  });
}

async function main() {
  patchConsole();
  let fn;
  try {
    fn = await loadHandler();
  } catch (e) {
    logError('Uncaught Exception', e);
    const body = errorBody(e);
    await call('POST', '/init/error', JSON.stringify(body),
      { 'Lambda-Runtime-Function-Error-Type': body.errorType });
    process.exit(1);
  }
  let next = await call(...NEXT);
  for (;;) {
    const h = next.headers;
    const requestId = h['lambda-runtime-aws-request-id'];
    const deadline = Number(h['lambda-runtime-deadline-ms'] || 0);
    if (h['lambda-runtime-trace-id']) process.env._X_AMZN_TRACE_ID = h['lambda-runtime-trace-id'];
    currentRequestId = requestId;
    const context = {
      awsRequestId: requestId,
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      invokedFunctionArn: h['lambda-runtime-invoked-function-arn'],
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      clientContext: h['lambda-runtime-client-context'] ? JSON.parse(h['lambda-runtime-client-context']) : undefined,
      identity: h['lambda-runtime-cognito-identity'] ? JSON.parse(h['lambda-runtime-cognito-identity']) : undefined,
    };
    let result;
    if (fn[HANDLER_STREAMING] === 'response') {
      const event = next.body.length ? JSON.parse(next.body.toString('utf8')) : {};
      await invokeStreaming(fn, event, context, requestId);
      next = await call(...NEXT);
      continue;
    }
    try {
      const event = next.body.length ? JSON.parse(next.body.toString('utf8')) : {};
      result = await invoke(fn, event, context);
    } catch (e) {
      logError('Invoke Error', e);
      next = await postResult(requestId, undefined, errorBody(e));
      continue;
    }
    next = await postResult(requestId, JSON.stringify(result === undefined ? null : result));
  }
}

process.on('unhandledRejection', (e) => { console.error('Unhandled Promise Rejection', e); process.exit(128); });
main().catch((e) => { console.error('runtime failure', e); process.exit(1); });
