// Temporary stand-in for functions/core/record-format's deaggregate until the codec lands on main.
export interface KinesisRecordInput {
  readonly partitionKey: string;
  readonly data: Uint8Array;
  readonly explicitHashKey?: string;
  readonly sequenceNumber?: string;
  readonly approximateArrivalTimestamp?: Date;
}

export interface UserRecord {
  readonly partitionKey: string;
  readonly explicitHashKey?: string;
  readonly data: Uint8Array;
  readonly sequenceNumber?: string;
  readonly subSequenceNumber?: number;
  readonly approximateArrivalTimestamp?: Date;
}

export function deaggregate(record: KinesisRecordInput): UserRecord[] {
  return [{ ...record, subSequenceNumber: undefined }];
}
