//! Bytes gathered in native memory piece by piece (a file as it is decompressed), then made a
//! uint8 tensor without another copy: a loader never holds a file's bytes twice.
use crate::convert;
use crate::error::{from_napi, to_js, value_error, Result};
use crate::tensor::NativeTensor;
use kiln_core::{Storage, Tensor};
use napi::bindgen_prelude::{ObjectFinalize, Uint8Array};
use napi::Env;
use napi_derive::napi;

#[napi(custom_finalize)]
pub struct NativeByteBuilder {
    bytes: Vec<u8>,
    capacity: usize,
    /// Reported to V8 while the builder holds the room: its collector then weighs the loader's
    /// garbage (the inflated pieces) against the memory really in use, and frees it sooner.
    reported_bytes: i64,
}

impl ObjectFinalize for NativeByteBuilder {
    fn finalize(self, env: Env) -> napi::Result<()> {
        env.adjust_external_memory(-self.reported_bytes)?;
        Ok(())
    }
}

#[napi]
impl NativeByteBuilder {
    /// Room for `capacity` bytes, reserved now (a size the machine cannot hold is an error).
    #[napi(constructor)]
    pub fn new(env: Env, capacity: f64) -> Result<Self> {
        let capacity = convert::count(capacity, "byte builder: capacity")?;
        let bytes = kiln_core::alloc::with_capacity::<u8>(capacity, "reading a file").map_err(to_js)?;
        env.adjust_external_memory(capacity as i64).map_err(from_napi)?;
        Ok(NativeByteBuilder { bytes, capacity, reported_bytes: capacity as i64 })
    }

    /// Bytes written so far.
    #[napi(getter)]
    pub fn length(&self) -> f64 {
        self.bytes.len() as f64
    }

    /// Appends a piece; more than the capacity in all is refused.
    #[napi]
    pub fn write(&mut self, piece: Uint8Array) -> Result<()> {
        if self.bytes.len() + piece.len() > self.capacity {
            return Err(value_error(format!("byte builder: {} bytes written to room for {}", self.bytes.len() + piece.len(), self.capacity)));
        }
        self.bytes.extend_from_slice(&piece);
        Ok(())
    }

    /// The bytes after the first `skip` (a file's header) as a uint8 tensor of `shape`; the
    /// builder is empty afterwards.
    #[napi]
    pub fn finish(&mut self, env: Env, skip: f64, shape: Vec<f64>) -> Result<NativeTensor> {
        let skip = convert::count(skip, "byte builder: skip")?.min(self.bytes.len());
        let shape = convert::shape(&shape, "byte builder: shape")?;
        let mut bytes = std::mem::take(&mut self.bytes);
        // The tensor reports what it holds from here on.
        env.adjust_external_memory(-self.reported_bytes).map_err(from_napi)?;
        self.reported_bytes = 0;
        // Moved down in place: no second buffer.
        bytes.drain(..skip);
        let tensor = NativeTensor::wrap(&env, Tensor::new(shape, Storage::U8(bytes)).map_err(to_js)?);
        return_freed_memory();
        tensor
    }
}

/// Hands the heap's free pages back to the system: inflating a file frees as many bytes in
/// small pieces as it produced, which glibc's allocator would otherwise keep (and count in the
/// process's memory) until something reuses them.
fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: glibc's malloc_trim only releases free memory; it is safe to call at any time.
        unsafe {
            malloc_trim(0);
        }
    }
}
