//! `predictOnBatch`: inference on one batch, computed now on the calling thread (small
//! batches; larger ones on the pool), with the plan for each input shape kept in the engine.
use crate::engine::{lock, refs, tensors, NativeEngine};
use crate::error::{guard, to_js, Result};
use crate::tensor::NativeTensor;
use napi::bindgen_prelude::ClassInstance;
use napi::Env;
use napi_derive::napi;

#[napi]
impl NativeEngine {
    /// The outputs on all of `inputs` as one batch, in inference mode (Keras' `predict_on_batch`).
    #[napi]
    pub fn predict_on_batch(&self, env: Env, inputs: Vec<ClassInstance<NativeTensor>>) -> Result<Vec<NativeTensor>> {
        let inputs = tensors(&inputs)?;
        let outputs = guard(|| lock(&self.inner).predict_on_batch(&refs(&inputs)).map_err(to_js))?;
        outputs.into_iter().map(|t| NativeTensor::wrap(&env, t)).collect()
    }
}
