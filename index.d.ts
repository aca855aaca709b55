// The types of `kiln-nn`'s entry, for `import` and for `require` alike: both load the one ES
// module build (dist/index.js; `require` through Node's require(esm)), so both get these types.
export * from './dist/index.js';
