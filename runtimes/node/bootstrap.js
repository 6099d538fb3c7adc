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
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const util = require('util');
const { pathToFileURL } = require('url');

const [HOST, PORT] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let currentRequestId = undefined;

function call(method, urlPath, body, headers) {
  return new Promise((resolve, reject) => {
    const h = Object.assign({}, headers);
    if (body !== undefined) h['Content-Length'] = Buffer.byteLength(body);
    const req = http.request({ host: HOST, port: PORT, method, agent,
      path: '/2018-06-01/runtime' + urlPath, headers: h }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
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
  for (;;) {
    const next = await call('GET', '/invocation/next');
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
    try {
      const event = next.body.length ? JSON.parse(next.body.toString('utf8')) : {};
      result = await invoke(fn, event, context);
    } catch (e) {
      const body = errorBody(e);
      logError('Invoke Error', e);
      await call('POST', `/invocation/${requestId}/error`, JSON.stringify(body),
        { 'Lambda-Runtime-Function-Error-Type': body.errorType });
      continue;
    }
    const out = JSON.stringify(result === undefined ? null : result);
    const res = await call('POST', `/invocation/${requestId}/response`, out,
      { 'Content-Type': 'application/json' });
    if (res.status === 413) {
      await call('POST', `/invocation/${requestId}/error`, JSON.stringify({
        errorType: 'Function.ResponseSizeTooLarge',
        errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).' }));
    }
  }
}

process.on('unhandledRejection', (e) => { console.error('Unhandled Promise Rejection', e); process.exit(128); });
main().catch((e) => { console.error('runtime failure', e); process.exit(1); });
