// Compile-time checks that a TypeScript list or set of names is exactly a union generated from
// kiln-core (native_schema.ts), so a kind added on either side fails `npm run build:ts`.

/** Whether two types hold the same values. */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** Compiles only when `T` is true: `type Checked = Assert<Same<A, B>>`. */
export type Assert<T extends true> = T;

/**
 * The runtime list of every member of the string union `T`, as given: it does not compile when
 * the list misses a member (the error names it) or holds a string that is not one.
 */
export function everyMember<T extends string>() {
  return <const L extends readonly T[]>(list: L & ([T] extends [L[number]] ? unknown : { missing: Exclude<T, L[number]> })): L => list;
}
