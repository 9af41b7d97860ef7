/**
 * Time-ordered identifiers (UUID version 7, RFC 9562): rows sort by creation, so cursor pagination and
 * B-tree inserts stay cheap on both stores.
 */
export type IdGenerator = () => string;

export type RandomBytes = (size: number) => Uint8Array;

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** Builds a UUIDv7 generator from a clock and a source of random bytes (both injected). */
export function createUuidV7Generator(now: () => number, randomBytes: RandomBytes): IdGenerator {
  let lastMs = -1;
  let counter = 0;
  return () => {
    let ms = now();
    // Keep ids monotonic within one process even when the clock stalls or steps back.
    if (ms <= lastMs) {
      ms = lastMs;
      counter += 1;
    } else {
      lastMs = ms;
      counter = 0;
    }
    const bytes = randomBytes(16);
    const out = new Uint8Array(16);
    out.set(bytes);
    out[0] = Math.floor(ms / 2 ** 40) & 0xff;
    out[1] = Math.floor(ms / 2 ** 32) & 0xff;
    out[2] = (ms >>> 24) & 0xff;
    out[3] = (ms >>> 16) & 0xff;
    out[4] = (ms >>> 8) & 0xff;
    out[5] = ms & 0xff;
    // 12 bits of rand_a carry a counter so ids made in the same millisecond still sort in order.
    out[6] = 0x70 | ((counter >>> 8) & 0x0f);
    out[7] = counter & 0xff;
    out[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
    const h = hex(out);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
