// FarmHash's Fingerprint64 (farmhashna::Hash64), the hash TensorFlow's
// `tf.strings.to_hash_bucket_fast` applies to the UTF-8 bytes of a string. Keras' Hashing and
// the lookup layers' hashed OOV buckets use it on every backend (they run on TensorFlow), so
// kiln computes the same 64-bit value to put a string in the same bucket.

const MASK = (1n << 64n) - 1n;
const K0 = 0xc3a5c85c97cb3127n;
const K1 = 0xb492b66fbe98f273n;
const K2 = 0x9ae16a3b2f90404fn;

const wrap = (v: bigint) => v & MASK;
const mul = (a: bigint, b: bigint) => (a * b) & MASK;
const add = (...values: bigint[]) => values.reduce((s, v) => s + v, 0n) & MASK;
const rotate = (v: bigint, shift: number) => (shift === 0 ? v : wrap((v >> BigInt(shift)) | (v << BigInt(64 - shift))));
const shiftMix = (v: bigint) => v ^ (v >> 47n);

function fetch64(bytes: Uint8Array, at: number): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]);
  return v;
}

function fetch32(bytes: Uint8Array, at: number): bigint {
  return BigInt((bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0);
}

function hashLen16(u: bigint, v: bigint, multiplier: bigint): bigint {
  let a = mul(u ^ v, multiplier);
  a ^= a >> 47n;
  let b = mul(v ^ a, multiplier);
  b ^= b >> 47n;
  return mul(b, multiplier);
}

function hashLen0to16(s: Uint8Array): bigint {
  const len = s.length;
  if (len >= 8) {
    const m = add(K2, BigInt(len * 2));
    const a = add(fetch64(s, 0), K2);
    const b = fetch64(s, len - 8);
    const c = add(mul(rotate(b, 37), m), a);
    const d = mul(add(rotate(a, 25), b), m);
    return hashLen16(c, d, m);
  }
  if (len >= 4) {
    const m = add(K2, BigInt(len * 2));
    const a = fetch32(s, 0);
    return hashLen16(add(BigInt(len), a << 3n), fetch32(s, len - 4), m);
  }
  if (len > 0) {
    const y = BigInt((s[0] + (s[len >> 1] << 8)) >>> 0);
    const z = BigInt((len + (s[len - 1] << 2)) >>> 0);
    return mul(shiftMix(mul(y, K2) ^ mul(z, K0)), K2);
  }
  return K2;
}

function hashLen17to32(s: Uint8Array): bigint {
  const len = s.length;
  const m = add(K2, BigInt(len * 2));
  const a = mul(fetch64(s, 0), K1);
  const b = fetch64(s, 8);
  const c = mul(fetch64(s, len - 8), m);
  const d = mul(fetch64(s, len - 16), K2);
  return hashLen16(add(rotate(add(a, b), 43), rotate(c, 30), d), add(a, rotate(add(b, K2), 18), c), m);
}

function hashLen33to64(s: Uint8Array): bigint {
  const len = s.length;
  const m = add(K2, BigInt(len * 2));
  const a = mul(fetch64(s, 0), K2);
  const b = fetch64(s, 8);
  const c = mul(fetch64(s, len - 8), m);
  const d = mul(fetch64(s, len - 16), K2);
  const y = add(rotate(add(a, b), 43), rotate(c, 30), d);
  const z = hashLen16(y, add(a, rotate(add(b, K2), 18), c), m);
  const e = mul(fetch64(s, 16), m);
  const f = fetch64(s, 24);
  const g = mul(add(y, fetch64(s, len - 32)), m);
  const h = mul(add(z, fetch64(s, len - 24)), m);
  return hashLen16(add(rotate(add(e, f), 43), rotate(g, 30), h), add(e, rotate(add(f, a), 18), g), m);
}

/** farmhash's WeakHashLen32WithSeeds on the 32 bytes at `at`. */
function weakHash32(s: Uint8Array, at: number, seedA: bigint, seedB: bigint): [bigint, bigint] {
  const [w, x, y, z] = [fetch64(s, at), fetch64(s, at + 8), fetch64(s, at + 16), fetch64(s, at + 24)];
  let a = add(seedA, w);
  let b = rotate(add(seedB, a, z), 21);
  const c = a;
  a = add(a, x, y);
  b = add(b, rotate(a, 44));
  return [add(a, z), add(b, c)];
}

/** The unsigned 64-bit Fingerprint64 of `bytes`. */
export function fingerprint64(bytes: Uint8Array): bigint {
  const len = bytes.length;
  if (len <= 16) return hashLen0to16(bytes);
  if (len <= 32) return hashLen17to32(bytes);
  if (len <= 64) return hashLen33to64(bytes);
  const seed = 81n;
  let x = seed;
  let y = add(mul(seed, K1), 113n);
  let z = mul(shiftMix(add(mul(y, K2), 113n)), K2);
  let v: [bigint, bigint] = [0n, 0n];
  let w: [bigint, bigint] = [0n, 0n];
  x = add(mul(x, K2), fetch64(bytes, 0));
  const end = Math.floor((len - 1) / 64) * 64;
  const last64 = end + ((len - 1) & 63) - 63;
  let s = 0;
  do {
    x = mul(rotate(add(x, y, v[0], fetch64(bytes, s + 8)), 37), K1);
    y = mul(rotate(add(y, v[1], fetch64(bytes, s + 48)), 42), K1);
    x ^= w[1];
    y = add(y, v[0], fetch64(bytes, s + 40));
    z = mul(rotate(add(z, w[0]), 33), K1);
    v = weakHash32(bytes, s, mul(v[1], K1), add(x, w[0]));
    w = weakHash32(bytes, s + 32, add(z, w[1]), add(y, fetch64(bytes, s + 16)));
    [z, x] = [x, z];
    s += 64;
  } while (s !== end);
  const m = add(K1, (z & 0xffn) << 1n);
  s = last64;
  w[0] = add(w[0], BigInt((len - 1) & 63));
  v[0] = add(v[0], w[0]);
  w[0] = add(w[0], v[0]);
  x = mul(rotate(add(x, y, v[0], fetch64(bytes, s + 8)), 37), m);
  y = mul(rotate(add(y, v[1], fetch64(bytes, s + 48)), 42), m);
  x ^= mul(w[1], 9n);
  y = add(y, mul(v[0], 9n), fetch64(bytes, s + 40));
  z = mul(rotate(add(z, w[0]), 33), m);
  v = weakHash32(bytes, s, mul(v[1], m), add(x, w[0]));
  w = weakHash32(bytes, s + 32, add(z, w[1]), add(y, fetch64(bytes, s + 16)));
  [z, x] = [x, z];
  return hashLen16(add(hashLen16(v[0], w[0], m), mul(shiftMix(y), K0), z), add(hashLen16(v[1], w[1], m), x), m);
}

const encoder = new TextEncoder();

/** The bucket `tf.strings.to_hash_bucket_fast(text, buckets)` puts `text` in. */
export function hashBucketFast(text: string, buckets: number): number {
  return Number(fingerprint64(encoder.encode(text)) % BigInt(buckets));
}
