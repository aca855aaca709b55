//! Kiln errors cross to JavaScript as `Error`s whose `code` is their kind (`ShapeError`, ...) and
//! whose message is the text alone; the TypeScript layer rethrows them as the `KilnError`
//! subclass the code names. napi's own errors (an argument of the wrong JavaScript type) keep
//! napi's status as their code.
use kiln_core::error::ErrorKind;
use kiln_core::KilnError;
use napi::bindgen_prelude::JsError;
use napi::{Env, Status};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};

/// The `code` of a JavaScript error the binding throws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    Kiln(ErrorKind),
    Napi(Status),
}

impl AsRef<str> for ErrorCode {
    fn as_ref(&self) -> &str {
        match self {
            ErrorCode::Kiln(kind) => kind.as_code(),
            ErrorCode::Napi(status) => status.as_ref(),
        }
    }
}

/// The binding's error: napi's, with the kind as its code.
pub type Error = napi::Error<ErrorCode>;
pub type Result<T> = napi::Result<T, ErrorCode>;

pub fn to_js(e: KilnError) -> Error {
    Error::new(ErrorCode::Kiln(e.kind), e.message)
}

pub fn value_error(message: impl Into<String>) -> Error {
    to_js(KilnError::value(message))
}

/// napi's own error (from reading or making a JavaScript value) as the binding's; napi's status
/// stays its code, so an exception already pending in JavaScript is still left as it is.
pub fn from_napi(e: napi::Error) -> Error {
    Error::new(ErrorCode::Napi(e.status), e.reason)
}

/// Settles an async task's outcome on the main thread. A task's own error type carries only
/// napi's status, so a task computes `Ok(outcome)` and its error becomes here the JavaScript
/// error (code included) that the promise rejects with, handed back as it is.
pub fn settle<T>(env: &Env, outcome: Result<T>) -> napi::Result<T> {
    outcome.map_err(|e| napi::Error::from(JsError::from(e).into_unknown(*env)))
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
pub fn guard<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    install_quiet_hook();
    ACTIVE_GUARDS.fetch_add(1, Ordering::SeqCst);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    ACTIVE_GUARDS.fetch_sub(1, Ordering::SeqCst);
    match outcome {
        Ok(result) => result,
        Err(panic) => {
            let recorded = LAST_PANIC.lock().ok().and_then(|mut last| last.take());
            let what = recorded.unwrap_or_else(|| panic_message(panic.as_ref()));
            Err(to_js(KilnError::runtime(format!("internal error in kiln-nn's engine: {what}"))))
        }
    }
}

/// Panics inside a guard, for the tests that check a caught panic prints nothing and its
/// message reaches the error (no kiln operation is known to panic).
#[napi_derive::napi]
pub fn provoke_internal_error(message: String) -> Result<()> {
    guard(|| panic!("{message}"))
}

/// Every code a kiln error can carry, so the tests can check TypeScript has a class for each.
#[napi_derive::napi]
pub fn error_codes() -> Vec<&'static str> {
    ErrorKind::ALL.iter().map(|kind| kind.as_code()).collect()
}
