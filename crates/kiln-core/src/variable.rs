//! Trainable weights: shared, lockable float32 buffers. A layer's weights are one buffer that
//! every model using the layer trains in place.
use crate::error::{shape_str, KilnError, Result};
use crate::tensor::Tensor;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LockResult, RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockResult};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

#[derive(Debug, Clone)]
pub struct Variable {
    /// Unique for the process: engines lock variables in id order, so two never deadlock.
    pub id: u64,
    pub shape: Vec<usize>,
    pub data: Arc<VariableData>,
}

/// A variable's buffer and its generation: a number that changes whenever the buffer may have
/// been written, so what is computed from the values (batch normalisation folded into a
/// convolution's kernel at inference, graph::inference_fold) knows when to compute again.
/// Every write goes through `write` or `try_write`, which move the generation on while the
/// write lock is held: a reader that locks afterwards always sees the new number.
#[derive(Debug)]
pub struct VariableData {
    buffer: RwLock<Vec<f32>>,
    generation: AtomicU64,
}

/// Generations come from one process-wide counter, so a number is never reused.
static NEXT_GENERATION: AtomicU64 = AtomicU64::new(1);

/// A generation no variable has had nor will have: the key of values derived from several
/// variables (a batch-norm-folded kernel, graph::inference_fold), taken each time they are
/// computed again, so a cache keyed on it never meets an older number.
pub fn fresh_generation() -> u64 {
    NEXT_GENERATION.fetch_add(1, Ordering::Relaxed)
}

impl VariableData {
    fn new(values: Vec<f32>) -> VariableData {
        VariableData { buffer: RwLock::new(values), generation: AtomicU64::new(fresh_generation()) }
    }

    pub fn read(&self) -> LockResult<RwLockReadGuard<'_, Vec<f32>>> {
        self.buffer.read()
    }

    pub fn try_read(&self) -> TryLockResult<RwLockReadGuard<'_, Vec<f32>>> {
        self.buffer.try_read()
    }

    /// Locks for writing and moves the generation on (whether or not the holder then writes).
    pub fn write(&self) -> LockResult<RwLockWriteGuard<'_, Vec<f32>>> {
        let guard = self.buffer.write();
        self.bump();
        guard
    }

    pub fn try_write(&self) -> TryLockResult<RwLockWriteGuard<'_, Vec<f32>>> {
        let guard = self.buffer.try_write();
        if !matches!(guard, Err(std::sync::TryLockError::WouldBlock)) {
            self.bump();
        }
        guard
    }

    /// The current generation. Read it while holding a read lock: no write can come between
    /// the number and the values then.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn bump(&self) {
        self.generation.store(fresh_generation(), Ordering::Release);
    }
}

impl Variable {
    pub fn new(value: &Tensor) -> Variable {
        Variable { id: NEXT_ID.fetch_add(1, Ordering::Relaxed), shape: value.shape().to_vec(), data: Arc::new(VariableData::new(value.to_f32().into_owned())) }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_write_lock_moves_the_generation_on() {
        let v = Variable::new(&Tensor::from_f32(vec![2], vec![1.0, 2.0]).unwrap());
        let shared = v.clone();
        let g0 = v.data.generation();
        drop(v.data.read().unwrap());
        drop(v.data.try_read().unwrap());
        assert_eq!(v.data.generation(), g0, "reading leaves it");
        drop(shared.data.write().unwrap());
        let g1 = v.data.generation();
        assert_ne!(g1, g0, "a clone shares the buffer and its generation");
        drop(v.data.try_write().unwrap());
        let g2 = v.data.generation();
        assert_ne!(g2, g1);
        v.assign(&Tensor::from_f32(vec![2], vec![3.0, 4.0]).unwrap(), "v").unwrap();
        assert_ne!(v.data.generation(), g2);
        // A try_write that would wait changes nothing.
        let held = v.data.read().unwrap();
        let g3 = v.data.generation();
        assert!(v.data.try_write().is_err());
        assert_eq!(v.data.generation(), g3);
        drop(held);
    }
}
