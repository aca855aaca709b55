//! `predictOnBatch`: inference on one batch, computed now on the calling thread (small
//! batches; larger ones on the pool), with the plan for each input shape kept in the engine.
//!
//! `predictIfQuick`: the same, for `predict`, when the engine's last run on these input
//! shapes took under QUICK_MAX: handing such work to a libuv worker and back costs more than
//! the work (two thread wake-ups, about 0.07 ms on an idle machine, against 0.01-0.02 ms of
//! kernels for one sample of a small MLP), and blocking the event loop that briefly is less
//! than one of those wake-ups. Anything else (unmeasured shapes, larger work, an engine busy
//! with an async run, weights being written by a fit) returns null and goes async.
use crate::engine::{lock, refs, tensors, NativeEngine};
use crate::error::{guard, to_js, Result};
use crate::tensor::NativeTensor;
use kiln_core::Tensor;
use napi::bindgen_prelude::ClassInstance;
use napi::Env;
use napi_derive::napi;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Native work measured below this runs on the calling thread in `predict`.
const QUICK_MAX: Duration = Duration::from_micros(50);
/// Input shapes whose last run time is kept (a server sees a few).
const REMEMBERED_SHAPES: usize = 8;

/// How long the engine's last `predict` on each of a few input shapes took, newest first.
#[derive(Default)]
pub(crate) struct PredictTimes {
    recent: Vec<(Vec<Vec<usize>>, Duration)>,
}

fn same_shapes(key: &[Vec<usize>], inputs: &[Arc<Tensor>]) -> bool {
    key.len() == inputs.len() && key.iter().zip(inputs).all(|(k, t)| k == t.shape())
}

impl PredictTimes {
    pub(crate) fn record(&mut self, inputs: &[Arc<Tensor>], took: Duration) {
        if let Some(i) = self.recent.iter().position(|(key, _)| same_shapes(key, inputs)) {
            self.recent.remove(i);
        }
        self.recent.truncate(REMEMBERED_SHAPES - 1);
        self.recent.insert(0, (inputs.iter().map(|t| t.shape().to_vec()).collect(), took));
    }

    fn last(&self, inputs: &[Arc<Tensor>]) -> Option<Duration> {
        self.recent.iter().find(|(key, _)| same_shapes(key, inputs)).map(|&(_, took)| took)
    }
}

#[napi]
impl NativeEngine {
    /// The outputs on all of `inputs` as one batch, in inference mode (Keras' `predict_on_batch`).
    #[napi]
    pub fn predict_on_batch(&self, env: Env, inputs: Vec<ClassInstance<NativeTensor>>) -> Result<Vec<NativeTensor>> {
        let inputs = tensors(&inputs)?;
        let outputs = guard(|| lock(&self.inner).predict_on_batch(&refs(&inputs)).map_err(to_js))?;
        outputs.into_iter().map(|t| NativeTensor::wrap(&env, t)).collect()
    }

    /// `predict(inputs, batchSize)` computed now when it is quick (see the module notes), else
    /// null: the caller then runs `predict` asynchronously. The outputs are those `predict`
    /// gives (the same engine call for data that fits one batch).
    #[napi]
    pub fn predict_if_quick(&self, env: Env, inputs: Vec<ClassInstance<NativeTensor>>, batch_size: f64) -> Result<Option<Vec<NativeTensor>>> {
        let batch_size = crate::convert::count(batch_size, "batchSize")?.max(1);
        let inputs = tensors(&inputs)?;
        let one_batch = inputs.first().is_some_and(|t| t.shape().first().is_some_and(|&rows| rows <= batch_size));
        let quick = one_batch && lock(&self.predict_times).last(&inputs).is_some_and(|took| took <= QUICK_MAX);
        if !quick {
            return Ok(None);
        }
        // An async run holds the engine: wait for it on its own thread, not here.
        let Ok(mut engine) = self.inner.try_lock() else {
            return Ok(None);
        };
        let started = Instant::now();
        let Some(outputs) = guard(|| Ok(engine.try_predict_on_batch(&refs(&inputs))))? else {
            return Ok(None);
        };
        let outputs = outputs.map_err(to_js)?;
        lock(&self.predict_times).record(&inputs, started.elapsed());
        outputs.into_iter().map(|t| NativeTensor::wrap(&env, t)).collect::<Result<Vec<_>>>().map(Some)
    }
}
