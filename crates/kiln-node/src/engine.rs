//! `NativeEngine`: a compiled model. Training, evaluation and prediction run as async tasks on
//! libuv's threads (and rayon's inside), so the Node event loop stays free.
use crate::convert;
use crate::error::{guard, settle, to_js, Result};
use crate::inference::PredictTimes;
use crate::tensor::NativeTensor;
use crate::variable::NativeVariable;
use kiln_core::engine::{BatchData, BatchRange};
use kiln_core::{Engine, Tensor};
use napi::bindgen_prelude::AsyncTask;
use napi::bindgen_prelude::{ClassInstance, Float32Array, Float64Array, Uint32Array};
use napi::{Env, Task};
use napi_derive::napi;
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[napi]
pub struct NativeEngine {
    pub(crate) inner: Arc<Mutex<Engine>>,
    /// How long recent predict runs took, by input shapes (see inference.rs).
    pub(crate) predict_times: Arc<Mutex<PredictTimes>>,
}

/// The engine reads every value as float32: a pending float32 conversion is read from its source.
pub(crate) fn tensors(list: &[ClassInstance<NativeTensor>]) -> Result<Vec<Arc<Tensor>>> {
    list.iter().map(|t| t.float_source()).collect()
}

pub(crate) fn refs(list: &[Arc<Tensor>]) -> Vec<&Tensor> {
    list.iter().map(|t| t.as_ref()).collect()
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Flattens per-batch logs into one array: `width` numbers per batch.
fn flatten(logs: Vec<Vec<f64>>) -> Vec<f64> {
    logs.into_iter().flatten().collect()
}

pub enum Job {
    Train { order: Vec<u32>, range: BatchRange, learning_rates: Vec<f32> },
    Evaluate { range: BatchRange },
}

pub struct BatchTask {
    engine: Arc<Mutex<Engine>>,
    inputs: Vec<Arc<Tensor>>,
    targets: Vec<Arc<Tensor>>,
    /// One weight per sample multiplying its loss, when given.
    sample_weights: Option<Arc<Tensor>>,
    job: Job,
}

impl Task for BatchTask {
    type Output = Result<Vec<f64>>;
    type JsValue = Float64Array;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(guard(|| {
            let mut engine = lock(&self.engine);
            let (inputs, targets) = (refs(&self.inputs), refs(&self.targets));
            let data = BatchData::new(&inputs, &targets).weighted(self.sample_weights.as_deref());
            let logs = match &self.job {
                Job::Train { order, range, learning_rates } => engine.train_batches(&data, order, *range, learning_rates),
                Job::Evaluate { range } => engine.evaluate_batches(&data, *range),
            };
            logs.map(flatten).map_err(to_js)
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(Float64Array::new(settle(&env, output)?))
    }
}

pub struct PredictTask {
    engine: Arc<Mutex<Engine>>,
    times: Arc<Mutex<PredictTimes>>,
    inputs: Vec<Arc<Tensor>>,
    batch_size: usize,
}

impl Task for PredictTask {
    type Output = Result<Vec<Tensor>>;
    type JsValue = Vec<NativeTensor>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let mut engine = lock(&self.engine);
        let started = Instant::now();
        let outputs = guard(|| engine.predict(&refs(&self.inputs), self.batch_size).map_err(to_js));
        if outputs.is_ok() {
            lock(&self.times).record(&self.inputs, started.elapsed());
        }
        Ok(outputs)
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        let handles = output.and_then(|output| {
            output
                .into_iter()
                .map(|t| {
                    let mut handle = NativeTensor::pending(t);
                    handle.report(&env)?;
                    Ok(handle)
                })
                .collect()
        });
        settle(&env, handles)
    }
}

#[napi]
impl NativeEngine {
    /// `spec` is the JSON model description (graph, trainable flags, losses, metrics,
    /// optimizer); `variables` are the weights the graph's variable nodes index.
    #[napi(constructor)]
    pub fn new(spec: String, variables: Vec<ClassInstance<NativeVariable>>) -> Result<Self> {
        let vars = variables.iter().map(|v| v.inner.clone()).collect();
        let engine = guard(|| Engine::new(&spec, vars).map_err(to_js))?;
        Ok(NativeEngine { inner: Arc::new(Mutex::new(engine)), predict_times: Arc::default() })
    }

    /// Restarts the dropout stream after a `setSeed` (see Engine::reseed_if_stale). An engine
    /// busy with a run is left as it is rather than blocking the event loop.
    #[napi]
    pub fn reseed_if_stale(&self) {
        if let Ok(mut engine) = self.inner.try_lock() {
            engine.reseed_if_stale();
        }
    }

    /// Optimizer steps taken (Keras' `optimizer.iterations`).
    #[napi(getter)]
    pub fn step(&self) -> f64 {
        lock(&self.inner).step() as f64
    }

    #[napi]
    pub fn output_shapes(&self, batch: f64) -> Result<Vec<Vec<f64>>> {
        let batch = crate::convert::count(batch, "outputShapes: batch")?;
        let shapes = lock(&self.inner).output_shapes(batch).map_err(to_js)?;
        Ok(shapes.iter().map(|s| crate::convert::to_js_shape(s)).collect())
    }

    /// Validates inputs and targets before a run (shapes, NaN, label ranges).
    #[napi]
    pub fn check_data(&self, inputs: Vec<ClassInstance<NativeTensor>>, targets: Vec<ClassInstance<NativeTensor>>) -> Result<()> {
        let (inputs, targets) = (tensors(&inputs)?, tensors(&targets)?);
        guard(|| lock(&self.inner).check_data(&refs(&inputs), &refs(&targets)).map_err(to_js))
    }

    /// Trains on `count` batches starting at batch `first` of the sample order `order`.
    /// Resolves to [samples, loss, metric...] per batch, flattened. `sampleWeights` (one per
    /// sample) multiply each sample's loss.
    #[allow(clippy::too_many_arguments)]
    #[napi(ts_return_type = "Promise<Float64Array>")]
    pub fn train_batches(
        &self,
        inputs: Vec<ClassInstance<NativeTensor>>,
        targets: Vec<ClassInstance<NativeTensor>>,
        order: Uint32Array,
        batch_size: f64,
        first: f64,
        count: f64,
        learning_rates: Float32Array,
        sample_weights: Option<ClassInstance<NativeTensor>>,
    ) -> Result<AsyncTask<BatchTask>> {
        Ok(AsyncTask::new(BatchTask {
            engine: self.inner.clone(),
            inputs: tensors(&inputs)?,
            targets: tensors(&targets)?,
            sample_weights: sample_weights.map(|w| w.get().cloned()).transpose()?,
            job: Job::Train {
                order: order.to_vec(),
                range: BatchRange::new(convert::count(batch_size, "batchSize")?.max(1), convert::count(first, "trainBatches: first")?, convert::count(count, "trainBatches: count")?),
                learning_rates: learning_rates.to_vec(),
            },
        }))
    }

    #[napi(ts_return_type = "Promise<Float64Array>")]
    pub fn evaluate_batches(
        &self,
        inputs: Vec<ClassInstance<NativeTensor>>,
        targets: Vec<ClassInstance<NativeTensor>>,
        batch_size: f64,
        first: f64,
        count: f64,
        sample_weights: Option<ClassInstance<NativeTensor>>,
    ) -> Result<AsyncTask<BatchTask>> {
        Ok(AsyncTask::new(BatchTask {
            engine: self.inner.clone(),
            inputs: tensors(&inputs)?,
            targets: tensors(&targets)?,
            sample_weights: sample_weights.map(|w| w.get().cloned()).transpose()?,
            job: Job::Evaluate {
                range: BatchRange::new(convert::count(batch_size, "batchSize")?.max(1), convert::count(first, "evaluateBatches: first")?, convert::count(count, "evaluateBatches: count")?),
            },
        }))
    }

    #[napi(ts_return_type = "Promise<NativeTensor[]>")]
    pub fn predict(&self, inputs: Vec<ClassInstance<NativeTensor>>, batch_size: f64) -> Result<AsyncTask<PredictTask>> {
        let batch_size = convert::count(batch_size, "batchSize")?.max(1);
        Ok(AsyncTask::new(PredictTask { engine: self.inner.clone(), times: self.predict_times.clone(), inputs: tensors(&inputs)?, batch_size }))
    }
}
