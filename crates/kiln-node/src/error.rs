//! Kiln errors cross to JavaScript as `Error`s whose message starts with the class name
//! (`ShapeError: ...`); the TypeScript layer rethrows them as that `KilnError` subclass.
use kiln_core::KilnError;

pub fn to_js(e: KilnError) -> napi::Error {
    napi::Error::new(napi::Status::InvalidArg, e.to_string())
}

pub fn value_error(message: impl Into<String>) -> napi::Error {
    to_js(KilnError::value(message))
}

/// Runs native work, turning a panic into a JavaScript error instead of aborting Node.
pub fn guard<T>(f: impl FnOnce() -> napi::Result<T>) -> napi::Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown".into());
            Err(napi::Error::new(napi::Status::GenericFailure, format!("RuntimeError: internal error in kiln-nn's engine: {what}")))
        }
    }
}
