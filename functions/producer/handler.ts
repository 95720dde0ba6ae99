// Placeholder until the consumer/producer issue lands: lets `cdk synth` bundle an entry at this path.
// The real SQS-fronted producer handler replaces this file at merge.
export async function handler(): Promise<void> {
  throw new Error('The producer handler is a placeholder; deploy a build that includes the producer issue.');
}
