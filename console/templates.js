// SPDX-License-Identifier: MIT
// templates.js - the Test tab's event templates: the shapes fngate's adapters hand a
// function (README: HTTP routes, Payload format 1.0, S3 endpoint, Schedules, Queues, topics
// and streams), with the values AWS's console templates use.
const now = '2026-01-01T12:00:00Z';
const b64 = (s) => btoa(s);

export const TEMPLATES = {
  'hello-world': { key1: 'value1', key2: 'value2', key3: 'value3' },
  'apigateway-http-api-proxy (2.0)': {
    version: '2.0', routeKey: 'GET /hello/{name}', rawPath: '/hello/Himanshu', rawQueryString: 'x=1',
    headers: { accept: '*/*', host: '127.0.0.1:8080', 'user-agent': 'curl/7.88.1' },
    queryStringParameters: { x: '1' }, pathParameters: { name: 'Himanshu' },
    requestContext: {
      accountId: '000000000000', apiId: 'fngate', domainName: '127.0.0.1', domainPrefix: '127',
      http: { method: 'GET', path: '/hello/Himanshu', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'curl/7.88.1' },
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef', routeKey: 'GET /hello/{name}', stage: '$default',
      time: '01/Jan/2026:12:00:00 +0000', timeEpoch: 1767268800000,
    },
    isBase64Encoded: false,
  },
  'apigateway-aws-proxy (1.0)': {
    version: '1.0', resource: '/hello/{name}', path: '/hello/Himanshu', httpMethod: 'GET',
    headers: { Accept: '*/*', Host: '127.0.0.1:8080' }, multiValueHeaders: { Accept: ['*/*'], Host: ['127.0.0.1:8080'] },
    queryStringParameters: { x: '1' }, multiValueQueryStringParameters: { x: ['1'] },
    pathParameters: { name: 'Himanshu' }, stageVariables: null, body: null, isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000', apiId: 'fngate', httpMethod: 'GET', path: '/hello/Himanshu', protocol: 'HTTP/1.1',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef', resourcePath: '/hello/{name}', stage: '$default',
      identity: { sourceIp: '127.0.0.1', userAgent: 'curl/7.88.1' }, requestTimeEpoch: 1767268800000,
    },
  },
  's3-put': {
    Records: [{
      eventVersion: '2.1', eventSource: 'aws:s3', awsRegion: 'us-east-1', eventTime: now, eventName: 'ObjectCreated:Put',
      userIdentity: { principalId: 'fngate' }, requestParameters: { sourceIPAddress: '127.0.0.1' },
      responseElements: { 'x-amz-request-id': 'EXAMPLE123456789', 'x-amz-id-2': 'EXAMPLE123/5678' },
      s3: {
        s3SchemaVersion: '1.0', configurationId: 'fngate',
        bucket: { name: 'uploads', ownerIdentity: { principalId: 'fngate' }, arn: 'arn:aws:s3:::uploads' },
        object: { key: 'photos/cat.jpg', size: 1024, eTag: '0123456789abcdef0123456789abcdef', sequencer: '0A1B2C3D4E5F678901' },
      },
    }],
  },
  'scheduled-event': {
    version: '0', id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa', 'detail-type': 'Scheduled Event', source: 'aws.events',
    account: '000000000000', time: now, region: 'us-east-1',
    resources: ['arn:aws:events:us-east-1:000000000000:rule/nightly'], detail: {},
  },
  'sqs-receive-message': {
    Records: [{
      messageId: '1700000000000-0', receiptHandle: 'orders/fngate/1700000000000-0', body: 'Hello from SQS!',
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1700000000000', SenderId: 'fngate',
                    ApproximateFirstReceiveTimestamp: '1700000000001' },
      messageAttributes: {}, md5OfBody: '7b270e59b47ff90a553787216d55d91d', eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:orders', awsRegion: 'us-east-1',
    }],
  },
  'sns-notification': {
    Records: [{
      EventSource: 'aws:sns', EventVersion: '1.0',
      EventSubscriptionArn: 'arn:aws:sns:us-east-1:000000000000:alerts:fngate',
      Sns: {
        Type: 'Notification', MessageId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e',
        TopicArn: 'arn:aws:sns:us-east-1:000000000000:alerts', Subject: null, Message: 'Hello from SNS!',
        Timestamp: now, MessageAttributes: {},
      },
    }],
  },
  'kinesis-get-records': {
    Records: [{
      kinesis: { kinesisSchemaVersion: '1.0', partitionKey: 'user-1', sequenceNumber: '42',
                 data: b64('Hello from Kafka as Kinesis!'), approximateArrivalTimestamp: 1767268800.0 },
      eventSource: 'aws:kinesis', eventVersion: '1.0', eventID: 'shardId-000000000000:42', eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/fngate', awsRegion: 'us-east-1',
      eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/clicks',
    }],
  },
  'kafka (self-managed)': {
    eventSource: 'SelfManagedKafka', bootstrapServers: '127.0.0.1:9092',
    records: {
      'clicks-0': [{
        topic: 'clicks', partition: 0, offset: 42, timestamp: 1767268800000, timestampType: 'CREATE_TIME',
        key: b64('user-1'), value: b64('{"page": "/"}'), headers: [{ source: [102, 110, 103, 97, 116, 101] }],
      }],
    },
  },
};
