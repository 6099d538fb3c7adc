// SPDX-License-Identifier: MIT
// The benchmark's trivial Node handler (tests/bench/run.sh), served by fngate and by
// serverless-offline alike.
exports.handler = async (event) => ({ statusCode: 200, body: 'hello' });
