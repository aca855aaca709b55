//! `valueAndGrad` and `NativeGradientApplier`: gradients of a traced function and an optimizer
//! applied to them (Keras' custom training steps). Conversion only; the work is kiln_core's.
use crate::error::{guard, to_js, value_error, Result};
use crate::tensor::NativeTensor;
use crate::variable::NativeVariable;
use kiln_core::constraints::Constraint;
use kiln_core::gradients;
use kiln_core::graph::Graph;
use kiln_core::optim::{GradientApplier, OptimizerConfig};
use kiln_core::{KilnError, Tensor};
use napi::bindgen_prelude::ClassInstance;
use napi::Env;
use napi_derive::napi;

/// The value (a one-element tensor), one gradient per variable (null where not asked for or
/// where the value does not depend on it), then the values of the graph's other outputs.
#[napi]
pub fn value_and_grad(
    env: Env,
    graph: String,
    variables: Vec<ClassInstance<NativeVariable>>,
    wrt: Vec<bool>,
    inputs: Vec<ClassInstance<NativeTensor>>,
    training: bool,
) -> Result<Vec<Option<NativeTensor>>> {
    let graph = Graph::from_json(&graph).map_err(to_js)?;
    let vars: Vec<_> = variables.iter().map(|v| v.inner.clone()).collect();
    let tensors = inputs.iter().map(|t| t.get().cloned()).collect::<Result<Vec<_>>>()?;
    let refs: Vec<&Tensor> = tensors.iter().map(|t| t.as_ref()).collect();
    let result = guard(|| gradients::value_and_grad(&graph, &vars, &wrt, &refs, training).map_err(to_js))?;
    let mut out = vec![Some(NativeTensor::wrap(&env, Tensor::from_f32(vec![], vec![result.value]).map_err(to_js)?)?)];
    for (grad, v) in result.grads.into_iter().zip(&vars) {
        out.push(grad.map(|g| Tensor::from_f32(v.shape.clone(), g).map_err(to_js).and_then(|t| NativeTensor::wrap(&env, t))).transpose()?);
    }
    for t in result.aux {
        out.push(Some(NativeTensor::wrap(&env, t)?));
    }
    Ok(out)
}

/// An optimizer's update rule and state, applied to given gradients.
#[napi]
pub struct NativeGradientApplier {
    inner: GradientApplier,
}

#[napi]
impl NativeGradientApplier {
    /// `config`: the optimizer's engine spec (rule, clipping, weight decay) as JSON.
    #[napi(constructor)]
    pub fn new(config: String) -> Result<Self> {
        let config: OptimizerConfig = serde_json::from_str(&config).map_err(|e| value_error(format!("Invalid optimizer description: {e}")))?;
        Ok(NativeGradientApplier { inner: GradientApplier::new(&config).map_err(to_js)? })
    }

    /// One update of `variables` by `grads` at `learningRate`; `constraints` is a JSON list
    /// with each variable's constraint or null.
    #[napi]
    pub fn apply(&mut self, variables: Vec<ClassInstance<NativeVariable>>, grads: Vec<ClassInstance<NativeTensor>>, learning_rate: f64, constraints: String) -> Result<()> {
        let vars: Vec<_> = variables.iter().map(|v| v.inner.clone()).collect();
        let grads = grads.iter().map(|g| g.get().map(|t| t.to_f32().into_owned())).collect::<Result<Vec<_>>>()?;
        let constraints: Vec<Option<Constraint>> = serde_json::from_str(&constraints).map_err(|e| to_js(KilnError::value(format!("Invalid constraints: {e}"))))?;
        guard(|| self.inner.apply(&vars, &grads, &constraints, learning_rate as f32).map_err(to_js))
    }

    /// Updates applied so far.
    #[napi(getter)]
    pub fn step(&self) -> f64 {
        self.inner.step as f64
    }
}
