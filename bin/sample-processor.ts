// Placeholder until the consumer/producer issue lands: the sample processor will wrap its record
// handler with the runtime's createConsumerHandler; this stand-in lets the example app synthesize.
export async function handler(): Promise<void> {
  throw new Error('The sample processor is a placeholder; deploy a build that includes the consumer issue.');
}
