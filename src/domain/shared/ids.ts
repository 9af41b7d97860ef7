/**
 * Time-ordered identifiers (UUID version 7, RFC 9562): rows sort by creation, so cursor pagination and
 * B-tree inserts stay cheap on both stores.
 */
export type IdGenerator = () => string;

export type RandomBytes = (size: number) => Uint8Array;

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** Random bytes each id takes: the 62 random bits of `rand_b` (rand_a carries the counter). */
const RANDOM_PER_ID = 8;
/** Ids served from one call to the random source: one call per id cost as much as the rest of the id. */
const POOLED_IDS = 512;

/** Builds a UUIDv7 generator from a clock and a source of random bytes (both injected). */
export function createUuidV7Generator(now: () => number, randomBytes: RandomBytes): IdGenerator {
  let lastMs = -1;
  let counter = 0;
  let timeHex = '';
  let pool: Uint8Array = new Uint8Array(0);
  let at = 0;
  return () => {
    let ms = now();
    // Keep ids monotonic within one process even when the clock stalls or steps back.
    if (ms <= lastMs && counter < 0xfff) {
      counter += 1;
    } else {
      // A 13th bit of counter would not fit: borrow the next millisecond, which keeps the order.
      if (ms <= lastMs) ms = lastMs + 1;
      lastMs = ms;
      counter = 0;
      // 48-bit big-endian milliseconds, formatted once per millisecond.
      const high = Math.floor(ms / 2 ** 32);
      timeHex =
        HEX[(high >>> 8) & 0xff]! + HEX[high & 0xff]! + HEX[(ms >>> 24) & 0xff]! + HEX[(ms >>> 16) & 0xff]!;
      timeHex += `-${HEX[(ms >>> 8) & 0xff]!}${HEX[ms & 0xff]!}`;
    }
    if (at + RANDOM_PER_ID > pool.length) {
      pool = randomBytes(RANDOM_PER_ID * POOLED_IDS);
      at = 0;
    }
    const r = pool;
    const i = at;
    at += RANDOM_PER_ID;
    // 12 bits of rand_a carry a counter so ids made in the same millisecond still sort in order.
    return (
      `${timeHex}-${HEX[0x70 | ((counter >>> 8) & 0x0f)]!}${HEX[counter & 0xff]!}` +
      `-${HEX[0x80 | (r[i]! & 0x3f)]!}${HEX[r[i + 1]!]!}` +
      `-${HEX[r[i + 2]!]!}${HEX[r[i + 3]!]!}${HEX[r[i + 4]!]!}${HEX[r[i + 5]!]!}${HEX[r[i + 6]!]!}${HEX[r[i + 7]!]!}`
    );
  };
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
