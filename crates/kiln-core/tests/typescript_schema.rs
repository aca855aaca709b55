//! ts/native_schema.ts must be what the serde types generate: a Rust change that TypeScript
//! does not follow fails here (and then `npm run build:ts` shows where TypeScript must change).
#![cfg(feature = "ts")]
use kiln_core::schema;
use std::path::Path;

#[test]
fn the_committed_typescript_schema_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(schema::PATH);
    let generated = schema::typescript();
    if std::env::var_os("KILN_WRITE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).expect("writing the TypeScript schema");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == generated, "{} is stale: run `npm run schema` and commit it", schema::PATH);
}
