// SPDX-License-Identifier: MIT
// fngate's Node.js runtime: loads _HANDLER from LAMBDA_TASK_ROOT and serves it over the AWS
// Lambda Runtime API, as Lambda's own Node.js runtime does. No npm packages.
//
// Handlers may be async (return a promise) or callback style (event, context, callback).
// The context has awsRequestId, functionName, functionVersion, invokedFunctionArn,
// memoryLimitInMB, logGroupName, logStreamName, getRemainingTimeInMillis() and
// callbackWaitsForEmptyEventLoop. console.* lines are written as Lambda writes them:
// "TIME\tREQUEST_ID\tLEVEL\tmessage".
'use strict';

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

function errorBody(err) {
  if (err instanceof Error) {
    return { errorType: err.name || 'Error', errorMessage: err.message,
      trace: (err.stack || '').split('\n') };
  }
  return { errorType: 'string', errorMessage: typeof err === 'string' ? err : JSON.stringify(err), trace: [] };
}

async function loadHandler() {
  const spec = process.env._HANDLER || '';
  const dot = spec.lastIndexOf('.');
  const modPath = path.resolve(process.env.LAMBDA_TASK_ROOT || process.cwd(), spec.slice(0, dot));
  const fnName = spec.slice(dot + 1);
  let mod;
  const fs = require('fs');
  for (const ext of ['.js', '.mjs', '.cjs']) {
    if (!fs.existsSync(modPath + ext)) continue;
    try {
      mod = ext === '.mjs' ? await import(pathToFileURL(modPath + ext).href) : require(modPath + ext);
    } catch (e) {
      const body = errorBody(e);
      body.errorType = 'Runtime.UserCodeSyntaxError';
      if (!(e instanceof SyntaxError)) body.errorType = 'Runtime.ImportModuleError';
      return { error: body };
    }
    break;
  }
  if (!mod) {
    return { error: { errorType: 'Runtime.ImportModuleError',
      errorMessage: `Error: Cannot find module '${path.basename(modPath)}'`, trace: [] } };
  }
  const fn = mod[fnName] || (mod.default && mod.default[fnName]);
  if (typeof fn !== 'function') {
    return { error: { errorType: 'Runtime.HandlerNotFound',
      errorMessage: `${spec} is undefined or not exported`, trace: [] } };
  }
  return { fn };
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
    context.fail = (err) => callback(err || new Error('handled'));
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
  const { fn, error } = await loadHandler();
  if (error) {
    console.error(`${error.errorType}: ${error.errorMessage}`);
    await call('POST', '/init/error', JSON.stringify(error),
      { 'Lambda-Runtime-Function-Error-Type': error.errorType });
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
      console.error(`Invoke Error \t${JSON.stringify(body)}`);
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
