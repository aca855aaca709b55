//! Trainable weights: shared, lockable float32 buffers. A layer's weights are one buffer that
//! every model using the layer trains in place.
use crate::error::{shape_str, KilnError, Result};
use crate::tensor::Tensor;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

#[derive(Debug, Clone)]
pub struct Variable {
    /// Unique for the process: engines lock variables in id order, so two never deadlock.
    pub id: u64,
    pub shape: Vec<usize>,
    pub data: Arc<RwLock<Vec<f32>>>,
}

impl Variable {
    pub fn new(value: &Tensor) -> Variable {
        Variable { id: NEXT_ID.fetch_add(1, Ordering::Relaxed), shape: value.shape().to_vec(), data: Arc::new(RwLock::new(value.to_f32().into_owned())) }
    }

    pub fn read(&self) -> Tensor {
        let data = self.data.read().unwrap_or_else(|e| e.into_inner()).clone();
        Tensor::from_f32(self.shape.clone(), data).expect("variable buffer matches its shape")
    }

    pub fn assign(&self, value: &Tensor, name: &str) -> Result<()> {
        if value.shape() != self.shape.as_slice() {
            return Err(KilnError::shape(format!("Variable '{name}' has shape {}, but the assigned value has shape {}", shape_str(&self.shape), shape_str(value.shape()))));
        }
        let mut guard = self.data.write().unwrap_or_else(|e| e.into_inner());
        guard.copy_from_slice(&value.to_f32());
        Ok(())
    }
}
