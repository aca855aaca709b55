use crate::error::{to_js, Result};
use crate::tensor::NativeTensor;
use kiln_core::Variable;
use napi::Env;
use napi_derive::napi;

/// A weight: a native buffer shared by every engine that trains it.
#[napi]
pub struct NativeVariable {
    pub(crate) inner: Variable,
}

#[napi]
impl NativeVariable {
    #[napi(constructor)]
    pub fn new(value: &NativeTensor) -> Result<Self> {
        Ok(NativeVariable { inner: Variable::new(value.get()?) })
    }

    #[napi(getter)]
    pub fn shape(&self) -> Vec<f64> {
        crate::convert::to_js_shape(&self.inner.shape)
    }

    /// A snapshot of the current value.
    #[napi]
    pub fn read(&self, env: Env) -> Result<NativeTensor> {
        NativeTensor::wrap(&env, self.inner.read())
    }

    #[napi]
    pub fn assign(&self, value: &NativeTensor, name: String) -> Result<()> {
        self.inner.assign(value.get()?, &name).map_err(to_js)
    }
}
