//! kiln-node: the napi-rs binding of kiln-nn. It converts and validates arguments and
//! schedules work on native threads; all math lives in kiln-core.
mod byte_builder;
mod convert;
mod distribution;
mod dropout_state;
mod engine;
mod error;
mod gradients;
mod inference;
mod losses;
mod metrics;
mod ops;
mod optimizer_state;
mod shape_rules;
mod tensor;
mod thread_setting;
mod variable;

/// Declares the experimental Node-API version so that Node runs this module's finalizers
/// inside garbage collection instead of queueing them for the next event-loop turn: a
/// synchronous loop that drops tensors then frees their native memory as it goes. Every
/// finalizer here only frees Rust memory and adjusts V8's external-memory count, which is
/// allowed during collection.
#[no_mangle]
pub extern "C" fn node_api_module_get_api_version_v1() -> i32 {
    i32::MAX // NAPI_VERSION_EXPERIMENTAL
}
