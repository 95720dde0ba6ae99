// Placeholder until the consumer/producer issue lands: lets `cdk synth` bundle an entry at this path.
// The real scheduled consumer handler replaces this file at merge.
export async function handler(event: { subtaskIndex: number; parallelism: number }): Promise<void> {
  throw new Error(
    `The consumer handler is a placeholder (subtask ${event.subtaskIndex} of ${event.parallelism}); deploy a build that includes the consumer issue.`,
  );
}
