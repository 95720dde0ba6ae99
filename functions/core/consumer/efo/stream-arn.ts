const STREAM_ARN = /^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/([a-zA-Z0-9_.-]{1,128})$/;

/** The stream name of a stream given by name or by ARN. */
export function streamNameOf(stream: string): string {
  return STREAM_ARN.exec(stream)?.[1] ?? stream;
}
