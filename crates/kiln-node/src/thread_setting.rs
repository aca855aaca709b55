//! `KILN_NUM_THREADS`, checked when the module loads (kiln-core's threads::configured_threads
//! holds the rule), so a bad value is refused at once rather than silently replaced.
use crate::error::to_js;
use crate::error::Result;
use napi_derive::napi;

/// Throws a ValueError when `KILN_NUM_THREADS` is set to anything but a positive integer.
#[napi]
pub fn check_thread_setting() -> Result<()> {
    kiln_core::threads::configured_threads().map(|_| ()).map_err(to_js)
}
