//! Kiln errors cross to JavaScript as `Error`s whose message starts with the class name
//! (`ShapeError: ...`); the TypeScript layer rethrows them as that `KilnError` subclass.
use kiln_core::KilnError;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};

pub fn to_js(e: KilnError) -> napi::Error {
    napi::Error::new(napi::Status::InvalidArg, e.to_string())
}

pub fn value_error(message: impl Into<String>) -> napi::Error {
    to_js(KilnError::value(message))
}

/// Guards running now, in any thread: while one runs, a panic (on its thread or on a rayon
/// worker doing its job) is caught and reported as a `RuntimeError`, so the default hook's
/// message and backtrace on stderr would only be noise.
static ACTIVE_GUARDS: AtomicUsize = AtomicUsize::new(0);
/// The message and place of the last panic the hook kept quiet, for the error it becomes.
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);
static INSTALL_HOOK: Once = Once::new();

/// Wraps the default panic hook: quiet (recording the message) while a guard runs, as before otherwise.
fn install_quiet_hook() {
    INSTALL_HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if ACTIVE_GUARDS.load(Ordering::SeqCst) == 0 {
                return default(info);
            }
            let place = info.location().map(|l| format!(" (at {}:{})", l.file(), l.line())).unwrap_or_default();
            if let Ok(mut last) = LAST_PANIC.lock() {
                *last = Some(format!("{}{place}", panic_message(info.payload())));
            }
        }));
    });
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload.downcast_ref::<String>().cloned().or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_else(|| "unknown".into())
}

/// Runs native work, turning a panic into a JavaScript error instead of aborting Node (and
/// without printing it: the error carries the message).
pub fn guard<T>(f: impl FnOnce() -> napi::Result<T>) -> napi::Result<T> {
    install_quiet_hook();
    ACTIVE_GUARDS.fetch_add(1, Ordering::SeqCst);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    ACTIVE_GUARDS.fetch_sub(1, Ordering::SeqCst);
    match outcome {
        Ok(result) => result,
        Err(panic) => {
            let recorded = LAST_PANIC.lock().ok().and_then(|mut last| last.take());
            let what = recorded.unwrap_or_else(|| panic_message(panic.as_ref()));
            Err(napi::Error::new(napi::Status::GenericFailure, format!("RuntimeError: internal error in kiln-nn's engine: {what}")))
        }
    }
}

/// Panics inside a guard, for the tests that check a caught panic prints nothing and its
/// message reaches the error (no kiln operation is known to panic).
#[napi_derive::napi]
pub fn provoke_internal_error(message: String) -> napi::Result<()> {
    guard(|| panic!("{message}"))
}
