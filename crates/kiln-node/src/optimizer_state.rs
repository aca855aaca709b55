//! The engine's optimizer state for saving and loading: the step count and each variable's
//! state vectors (Adam's momentum and velocity, ...).
use crate::engine::{lock, NativeEngine};
use crate::error::Result;
use crate::error::{guard, to_js};
use napi::bindgen_prelude::Float32Array;
use napi_derive::napi;

#[napi]
impl NativeEngine {
    /// Sets the optimizer step count (Keras' `iterations`), as restored from a saved model.
    #[napi]
    pub fn set_step(&self, step: f64) -> Result<()> {
        if !(step.is_finite() && step >= 0.0 && step.fract() == 0.0) {
            return Err(crate::error::value_error(format!("The optimizer step count must be a non-negative integer, got {step}")));
        }
        lock(&self.inner).set_step(step as u64);
        Ok(())
    }

    /// How many state vectors the optimizer keeps per variable.
    #[napi]
    pub fn optimizer_slots_per_variable(&self) -> Result<u32> {
        guard(|| lock(&self.inner).optimizer_slots_per_variable().map(|n| n as u32).map_err(to_js))
    }

    /// The optimizer's state vectors for the engine's variable `index`.
    #[napi]
    pub fn optimizer_slots(&self, index: u32) -> Result<Vec<Float32Array>> {
        let slots = guard(|| lock(&self.inner).optimizer_slots(index as usize).map_err(to_js))?;
        Ok(slots.into_iter().map(Float32Array::new).collect())
    }

    /// Restores the optimizer's state vectors for the engine's variable `index`.
    #[napi]
    pub fn set_optimizer_slots(&self, index: u32, vectors: Vec<Float32Array>) -> Result<()> {
        let vectors = vectors.iter().map(|v| v.to_vec()).collect();
        guard(|| lock(&self.inner).set_optimizer_slots(index as usize, vectors).map_err(to_js))
    }
}
