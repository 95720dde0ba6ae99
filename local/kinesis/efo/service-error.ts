/** An error the local Kinesis answers with, in AWS's JSON error shape (`__type`, `message`). */
export class KinesisServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = code === 'InternalFailure' ? 500 : 400,
  ) {
    super(message);
    this.name = code;
  }
}
