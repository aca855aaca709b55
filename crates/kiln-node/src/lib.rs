//! kiln-node: the napi-rs binding of kiln-nn. It converts and validates arguments and
//! schedules work on native threads; all math lives in kiln-core.
mod engine;
mod error;
mod ops;
mod tensor;
mod variable;
