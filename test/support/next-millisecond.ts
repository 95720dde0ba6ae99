/**
 * Kinesalite stamps each arrival with Date.now(): waits, yielding to the servers in this process, for
 * the next millisecond, so that records put before and after the returned time have different stamps.
 */
export async function nextMillisecond(): Promise<Date> {
  const now = Date.now();
  while (Date.now() === now) await new Promise((resolve) => setImmediate(resolve));
  return new Date();
}
