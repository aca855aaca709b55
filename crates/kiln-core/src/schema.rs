//! The TypeScript types of what crosses napi (graph and ops, engine spec, losses, metrics,
//! optimizer, constraints), generated from the serde types themselves so the two sides cannot
//! drift: `npm run schema` writes ts/native_schema.ts and tests/typescript_schema.rs checks it.
//!
//! On the types themselves, behind the feature: a field with a serde default may be left out
//! in TypeScript (`ts(as = "Option<_>", optional)`, or `ts(optional = nullable)` on an
//! `Option`), and i64 axes read as TypeScript numbers (`ts(as = "i32")`), not bigints.
use crate::constraints::Constraint;
use crate::engine::EngineSpec;
use crate::graph::{GraphDescription, Op};
use crate::kernels::loss::Loss;
use crate::kernels::metrics::MetricKind;
use crate::optim::{OptimizerConfig, OptimizerSpec};
use ts_rs::{TypeVisitor, TS};

/// Where the generated file lives, from the repository root.
pub const PATH: &str = "ts/native_schema.ts";

const HEADER: &str = "// Generated from kiln-core's serde types (crates/kiln-core/src/schema.rs) by `npm run schema`:
// do not edit. What TypeScript sends to the native module as JSON; a test fails when this file
// is stale.
";

/// Collects each type's declaration once, then those of the types it names.
struct Declarations(Vec<(String, String)>);

impl TypeVisitor for Declarations {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        // Only derived types have a declaration (numbers, arrays and options are inline).
        if T::output_path().is_none() || self.0.iter().any(|(name, _)| *name == T::ident()) {
            return;
        }
        let docs = T::docs().unwrap_or_default();
        self.0.push((T::ident(), format!("{docs}export {}", T::decl())));
        T::visit_dependencies(self);
    }
}

/// The whole file: every type reachable from what the native functions parse.
pub fn typescript() -> String {
    let mut found = Declarations(Vec::new());
    // A flattened field is inlined, so the types flattened into others are roots too.
    found.visit::<EngineSpec>();
    found.visit::<GraphDescription>();
    found.visit::<Op>();
    found.visit::<Loss>();
    found.visit::<MetricKind>();
    found.visit::<OptimizerConfig>();
    found.visit::<OptimizerSpec>();
    found.visit::<Constraint>();
    // By name: ts-rs visits a type's dependencies in no fixed order.
    let mut declarations = found.0;
    declarations.sort_by(|a, b| a.0.cmp(&b.0));
    let mut text = HEADER.to_string();
    for (_, declaration) in declarations {
        text.push('\n');
        text.push_str(&declaration);
        text.push('\n');
    }
    text
}
