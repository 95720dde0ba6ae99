/**
 * MillisBehindLatest as Kinesis reports it, for kinesalite's GetRecords answers: kinesalite always says 0
 * (and, at the end of a closed shard, the age of its end), so a local consumer would always look caught
 * up and `skc status` could show no lag.
 *
 * Kinesis's value is how far the response is behind the tip of the shard: 0 when nothing is left after
 * the records returned, else the time from the last record returned to now (the arrival time of the
 * next record when none was returned). Kinesalite returns every record it has up to the call's Limit, so a
 * page short of its Limit is at the tip; only after a full page is one more GetRecords of Limit 1 made at
 * the response's NextShardIterator, which reads nothing away (kinesalite's iterators carry their position).
 */

/** GetRecords' Limit when the call gives none. */
export const DEFAULT_GET_RECORDS_LIMIT = 10_000;

/** A GetRecords answer as the proxy holds it. */
export interface GetRecordsReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/** Asks kinesalite for at most one record at `iterator` (a GetRecords of Limit 1). */
export type PeekRecord = (iterator: string) => Promise<GetRecordsReply>;

// kinesalite writes MillisBehindLatest and NextShardIterator as the first keys of its JSON, before the
// records, and each record's ApproximateArrivalTimestamp as epoch seconds. The value is spliced into the
// head and the last timestamp found from the end, so a page of up to 10 MB is not parsed and serialized
// again on every read.
const HEAD_BYTES = 512;
const MILLIS_BEHIND_LATEST = /"MillisBehindLatest":\s*-?\d+(?:\.\d+)?/;
const NEXT_SHARD_ITERATOR = /"NextShardIterator":\s*"([^"]+)"/;
const ARRIVAL = Buffer.from('"ApproximateArrivalTimestamp":');

/**
 * The reply with MillisBehindLatest set as Kinesis would set it. Error replies, and bodies that are not
 * kinesalite's GetRecords JSON, come back unchanged.
 */
export async function withMillisBehindLatest(
  reply: GetRecordsReply,
  limit: number,
  peek: PeekRecord,
  nowMillis: () => number,
): Promise<GetRecordsReply> {
  if (reply.status !== 200) return reply;
  const head = reply.body.subarray(0, HEAD_BYTES).toString('latin1');
  const field = MILLIS_BEHIND_LATEST.exec(head);
  if (!field) return reply;
  const next = NEXT_SHARD_ITERATOR.exec(head)?.[1];
  let behind = 0;
  if (next && countRecords(reply.body) >= limit) {
    const peeked = await peek(next);
    const ahead = peeked.status === 200 ? lastArrivalSeconds(peeked.body) : undefined;
    if (ahead !== undefined) {
      const lastReturned = lastArrivalSeconds(reply.body) ?? ahead;
      behind = Math.max(0, Math.round(nowMillis() - lastReturned * 1000));
    }
  }
  const at = field.index;
  return {
    ...reply,
    body: Buffer.concat([
      reply.body.subarray(0, at),
      Buffer.from(`"MillisBehindLatest":${behind}`),
      reply.body.subarray(at + field[0].length),
    ]),
  };
}

/** The ApproximateArrivalTimestamp (epoch seconds) of the last record in a GetRecords body, if any. */
export function lastArrivalSeconds(body: Buffer): number | undefined {
  const at = body.lastIndexOf(ARRIVAL);
  if (at < 0) return undefined;
  const start = at + ARRIVAL.length;
  const value = Number.parseFloat(body.subarray(start, start + 32).toString('latin1'));
  return Number.isFinite(value) ? value : undefined;
}

/** How many records a GetRecords body holds (each has one ApproximateArrivalTimestamp). */
export function countRecords(body: Buffer): number {
  let count = 0;
  for (let at = body.indexOf(ARRIVAL); at >= 0; at = body.indexOf(ARRIVAL, at + ARRIVAL.length)) count++;
  return count;
}
