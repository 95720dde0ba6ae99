// Placeholder until the local runner lands (issue: "Run it and operate it").
console.log(
  [
    'serverless-kinesis-connector: `npm start` will start local Kinesis, SQS and SSM servers on this machine,',
    'create the example app’s streams and queues, run the producer behind its queue and the consumer subtasks,',
    'feed records through them, and print records in/out, missing, duplicates and end-to-end latency.',
    'The local runner is not built yet; run `npm test` to exercise what exists.',
  ].join('\n'),
);
