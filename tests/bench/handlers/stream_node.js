// SPDX-License-Identifier: MIT
// The streaming benchmark's handler (tests/bench/api.sh): BENCH_STREAM_MB mebibytes of 'x'
// in 1 MiB writes through Lambda's response streaming, waiting for 'drain' as a handler
// that respects back-pressure does.
'use strict';

exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const mb = parseInt(process.env.BENCH_STREAM_MB || '100', 10);
  const chunk = Buffer.alloc(1 << 20, 120);
  const out = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 200,
    headers: { 'content-type': 'application/octet-stream' },
  });
  for (let i = 0; i < mb; i++) {
    if (!out.write(chunk))
      await new Promise((resolve) => out.once('drain', resolve));
  }
  out.end();
});
