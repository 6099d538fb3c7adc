// The HTTP API's handlers: API Gateway's payload format 2.0 events, as on AWS. The list lives
// in the execution environment, so a cold start begins it empty (a real API keeps it in a
// database).
const todos = [];

exports.list = async () => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ stage: process.env.STAGE, todos }),
});

exports.create = async (event) => {
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString() : event.body;
  let text;
  try {
    text = String(JSON.parse(raw || '{}').text || '');
  } catch (e) {
    return { statusCode: 400, body: JSON.stringify({ message: 'the body is not JSON' }) };
  }
  const todo = { id: event.requestContext.requestId, text };
  todos.push(todo);
  return { statusCode: 201, headers: { 'content-type': 'application/json' }, body: JSON.stringify(todo) };
};
