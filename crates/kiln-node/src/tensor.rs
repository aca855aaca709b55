//! `NativeTensor`: a JavaScript handle on an immutable native tensor. The garbage collector
//! frees it (its size is reported to V8); `dispose()` frees it early.
use crate::convert;
use crate::error::{guard, to_js, value_error};
use kiln_core::{DType, Storage, Tensor};
use napi::bindgen_prelude::ObjectFinalize;
use napi::bindgen_prelude::{Float32Array, Int32Array, Uint8Array};
use napi::{Either, Env, Result};
use napi_derive::napi;
use std::sync::Arc;

#[napi(custom_finalize)]
pub struct NativeTensor {
    inner: Option<Arc<Tensor>>,
    reported_bytes: i64,
}

impl NativeTensor {
    /// Wraps a tensor and tells V8 how much native memory it holds.
    pub fn wrap(env: &Env, tensor: Tensor) -> Result<NativeTensor> {
        let bytes = tensor.byte_size() as i64;
        env.adjust_external_memory(bytes)?;
        Ok(NativeTensor { inner: Some(Arc::new(tensor)), reported_bytes: bytes })
    }

    /// Wraps a tensor made on a worker thread; its memory is reported when it reaches JS.
    pub fn pending(tensor: Tensor) -> NativeTensor {
        NativeTensor { inner: Some(Arc::new(tensor)), reported_bytes: 0 }
    }

    pub fn report(&mut self, env: &Env) -> Result<()> {
        if let Some(t) = &self.inner {
            let bytes = t.byte_size() as i64;
            env.adjust_external_memory(bytes - self.reported_bytes)?;
            self.reported_bytes = bytes;
        }
        Ok(())
    }

    pub fn get(&self) -> Result<&Arc<Tensor>> {
        self.inner.as_ref().ok_or_else(|| value_error("This tensor has been disposed"))
    }
}

impl ObjectFinalize for NativeTensor {
    fn finalize(self, env: Env) -> Result<()> {
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
        Ok(convert::to_js_shape(self.get()?.shape()))
    }

    #[napi(getter)]
    pub fn dtype(&self) -> Result<String> {
        Ok(self.get()?.dtype().name().to_string())
    }

    #[napi(getter)]
    pub fn disposed(&self) -> bool {
        self.inner.is_none()
    }

    /// A copy of the values in a typed array of the tensor's dtype.
    #[napi(ts_return_type = "Float32Array | Int32Array | Uint8Array")]
    pub fn data_sync(&self) -> Result<TypedArray> {
        Ok(match self.get()?.storage() {
            Storage::F32(v) => Either::A(Float32Array::new(v.clone())),
            Storage::I32(v) => Either::B(Either::A(Int32Array::new(v.clone()))),
            Storage::U8(v) => Either::B(Either::B(Uint8Array::new(v.clone()))),
        })
    }

    #[napi]
    pub fn dispose(&mut self, env: Env) -> Result<()> {
        if self.inner.take().is_some() {
            env.adjust_external_memory(-self.reported_bytes)?;
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
        guard(|| NativeTensor::wrap(&env, self.get()?.astype(dtype)))
    }
}
