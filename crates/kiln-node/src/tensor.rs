//! `NativeTensor`: a JavaScript handle on an immutable native tensor. The garbage collector
//! frees it (its size is reported to V8); `dispose()` frees it early.
//!
//! `astype` is deferred: the handle keeps its source and makes the converted values when they
//! are first read. Ops that read every value as float32 anyway (the binary ops, the engine's
//! inputs) read a pending float32 conversion's source directly, so `x.astype('float32').div(255)`
//! on a uint8 dataset never holds a second full float32 copy.
//!
//! The transpose of a matrix is deferred the same way, as numpy's `.T` is a view: `matmul` reads
//! the source in place with a transposed flag, and any other use makes the transposed copy once.
use crate::convert;
use crate::error::{from_napi, guard, to_js, value_error, Result};
use kiln_core::{DType, Storage, Tensor};
use napi::bindgen_prelude::ObjectFinalize;
use napi::bindgen_prelude::{Float32Array, Int32Array, Uint8Array};
use napi::{Either, Env};
use napi_derive::napi;
use std::cell::{OnceCell, RefCell};
use std::sync::Arc;

#[napi(custom_finalize)]
pub struct NativeTensor {
    /// The values, once made (a pending conversion makes them on first read).
    values: OnceCell<Arc<Tensor>>,
    /// Values not made yet: made from the source on first read.
    pending: RefCell<Option<Deferred>>,
    disposed: bool,
    reported_bytes: i64,
}

/// Values a handle makes from a source tensor when they are first read. The handle holds its own
/// reference to the source: disposing either handle frees only that handle's reference.
#[derive(Clone)]
enum Deferred {
    /// The source converted to a dtype (`astype`).
    Convert(Arc<Tensor>, DType),
    /// The transpose of a matrix (2-D `transpose`).
    Transpose(Arc<Tensor>),
}

impl Deferred {
    fn make(&self) -> kiln_core::Result<Tensor> {
        match self {
            Deferred::Convert(source, dtype) => Ok(source.astype(*dtype)),
            Deferred::Transpose(source) => kiln_core::ops::transpose(source, None),
        }
    }
    fn shape(&self) -> Vec<usize> {
        match self {
            Deferred::Convert(source, _) => source.shape().to_vec(),
            Deferred::Transpose(source) => source.shape().iter().rev().copied().collect(),
        }
    }
    fn dtype(&self) -> DType {
        match self {
            Deferred::Convert(_, dtype) => *dtype,
            Deferred::Transpose(source) => source.dtype(),
        }
    }
}

impl NativeTensor {
    fn ready(tensor: Arc<Tensor>, reported_bytes: i64) -> NativeTensor {
        NativeTensor { values: OnceCell::from(tensor), pending: RefCell::new(None), disposed: false, reported_bytes }
    }

    /// Wraps a tensor and tells V8 how much native memory it holds.
    pub fn wrap(env: &Env, tensor: Tensor) -> Result<NativeTensor> {
        let bytes = tensor.byte_size() as i64;
        env.adjust_external_memory(bytes).map_err(from_napi)?;
        Ok(NativeTensor::ready(Arc::new(tensor), bytes))
    }

    /// Wraps a tensor made on a worker thread; its memory is reported when it reaches JS.
    pub fn pending(tensor: Tensor) -> NativeTensor {
        NativeTensor::ready(Arc::new(tensor), 0)
    }

    pub fn report(&mut self, env: &Env) -> Result<()> {
        if let Some(t) = self.values.get() {
            let bytes = t.byte_size() as i64;
            env.adjust_external_memory(bytes - self.reported_bytes).map_err(from_napi)?;
            self.reported_bytes = bytes;
        }
        Ok(())
    }

    /// The tensor, converted now if its conversion was pending.
    pub fn get(&self) -> Result<&Arc<Tensor>> {
        if self.disposed {
            return Err(value_error("This tensor has been disposed"));
        }
        if let Some(t) = self.values.get() {
            return Ok(t);
        }
        let deferred = self.pending.borrow().clone().expect("a live tensor has its values or deferred ones");
        let made = guard(|| deferred.make().map_err(to_js))?;
        self.pending.borrow_mut().take();
        Ok(self.values.get_or_init(|| Arc::new(made)))
    }

    /// The operand `matmul` reads: a deferred matrix transpose's source with `true` (read in place
    /// transposed), else the values with `false`.
    pub fn matmul_operand(&self) -> Result<(Arc<Tensor>, bool)> {
        if !self.disposed && self.values.get().is_none() {
            if let Some(Deferred::Transpose(source)) = self.pending.borrow().as_ref() {
                return Ok((source.clone(), true));
            }
        }
        Ok((self.get()?.clone(), false))
    }

    /// A handle on the transpose of a matrix, made when first read other than by `matmul`.
    pub fn transposed(&self, env: &Env) -> Result<NativeTensor> {
        let source = self.get()?.clone();
        debug_assert_eq!(source.rank(), 2);
        let bytes = source.byte_size() as i64;
        // Reported now, as if made, as `astype` does.
        env.adjust_external_memory(bytes).map_err(from_napi)?;
        Ok(NativeTensor { values: OnceCell::new(), pending: RefCell::new(Some(Deferred::Transpose(source))), disposed: false, reported_bytes: bytes })
    }

    /// A tensor whose values, read as float32, are this tensor's: the source of a pending
    /// float32 conversion (uint8 and int32 convert exactly as astype does), else the tensor.
    pub fn float_source(&self) -> Result<Arc<Tensor>> {
        if !self.disposed {
            if let Some(Deferred::Convert(source, DType::Float32)) = self.pending.borrow().as_ref() {
                return Ok(source.clone());
            }
        }
        self.get().cloned()
    }

    /// The shape, without making pending values.
    fn shape_of(&self) -> Result<Vec<usize>> {
        if let Some(deferred) = self.pending.borrow().as_ref() {
            return Ok(deferred.shape());
        }
        Ok(self.get()?.shape().to_vec())
    }
}

impl ObjectFinalize for NativeTensor {
    fn finalize(self, env: Env) -> napi::Result<()> {
        env.adjust_external_memory(-self.reported_bytes)?;
        Ok(())
    }
}

pub type TypedArray = Either<Float32Array, Either<Int32Array, Uint8Array>>;

#[napi]
impl NativeTensor {
    #[napi(factory)]
    pub fn from_float32(env: Env, data: Float32Array, shape: Vec<f64>) -> Result<NativeTensor> {
        let t = Tensor::new(convert::shape(&shape, "tensor: shape")?, Storage::F32(data.to_vec())).map_err(to_js)?;
        NativeTensor::wrap(&env, t)
    }

    #[napi(factory)]
    pub fn from_int32(env: Env, data: Int32Array, shape: Vec<f64>) -> Result<NativeTensor> {
        let t = Tensor::new(convert::shape(&shape, "tensor: shape")?, Storage::I32(data.to_vec())).map_err(to_js)?;
        NativeTensor::wrap(&env, t)
    }

    #[napi(factory)]
    pub fn from_uint8(env: Env, data: Uint8Array, shape: Vec<f64>) -> Result<NativeTensor> {
        let t = Tensor::new(convert::shape(&shape, "tensor: shape")?, Storage::U8(data.to_vec())).map_err(to_js)?;
        NativeTensor::wrap(&env, t)
    }

    #[napi(getter)]
    pub fn shape(&self) -> Result<Vec<f64>> {
        Ok(convert::to_js_shape(&self.shape_of()?))
    }

    #[napi(getter)]
    pub fn dtype(&self) -> Result<String> {
        if let Some(deferred) = self.pending.borrow().as_ref() {
            return Ok(deferred.dtype().name().to_string());
        }
        Ok(self.get()?.dtype().name().to_string())
    }

    #[napi(getter)]
    pub fn disposed(&self) -> bool {
        self.disposed
    }

    /// A copy of the values in a typed array of the tensor's dtype.
    #[napi(ts_return_type = "Float32Array | Int32Array | Uint8Array")]
    pub fn data_sync(&self) -> Result<TypedArray> {
        // Deferred values are made straight into the copy JavaScript gets.
        let pending = if self.disposed { None } else { self.pending.borrow().clone() };
        let storage = match pending {
            Some(deferred) => guard(|| deferred.make().map_err(to_js))?.into_storage(),
            None => self.get()?.storage().clone(),
        };
        Ok(match storage {
            Storage::F32(v) => Either::A(Float32Array::new(v)),
            Storage::I32(v) => Either::B(Either::A(Int32Array::new(v))),
            Storage::U8(v) => Either::B(Either::B(Uint8Array::new(v))),
        })
    }

    #[napi]
    pub fn dispose(&mut self, env: Env) -> Result<()> {
        if !self.disposed {
            self.disposed = true;
            self.values.take();
            self.pending.borrow_mut().take();
            env.adjust_external_memory(-self.reported_bytes).map_err(from_napi)?;
            self.reported_bytes = 0;
        }
        Ok(())
    }

    #[napi]
    pub fn reshape(&self, env: Env, shape: Vec<f64>) -> Result<NativeTensor> {
        // -1 is the one inferred dimension; any other negative is refused, not read as -1.
        let target = shape.iter().map(|&d| if d == -1.0 { Ok(None) } else { convert::count(d, "reshape: dimension").map(Some) }).collect::<Result<Vec<_>>>()?;
        NativeTensor::wrap(&env, self.get()?.reshape(&target).map_err(to_js)?)
    }

    #[napi]
    pub fn astype(&self, env: Env, dtype: String) -> Result<NativeTensor> {
        let dtype = DType::parse(&dtype).map_err(to_js)?;
        // The same conversion again shares the pending one's source; any other converts from the values.
        let same = match self.pending.borrow().as_ref() {
            Some(Deferred::Convert(source, to)) if *to == dtype => Some(source.clone()),
            _ => None,
        };
        let source = match same {
            Some(source) => source,
            None => self.get()?.clone(),
        };
        let bytes = (source.size() * dtype.byte_size()) as i64;
        // Reported now, as if made: V8 then weighs the handle by what it may come to hold.
        env.adjust_external_memory(bytes).map_err(from_napi)?;
        Ok(NativeTensor { values: OnceCell::new(), pending: RefCell::new(Some(Deferred::Convert(source, dtype))), disposed: false, reported_bytes: bytes })
    }
}
