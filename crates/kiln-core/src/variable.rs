//! Trainable weights: shared, lockable float32 buffers. A layer's weights are one buffer that
//! every model using the layer trains in place.
use crate::error::{shape_str, KilnError, Result};
use crate::tensor::Tensor;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockWriteGuard};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);
/// Versions are unique for the process, so a (variable, version) key never names two contents.
static NEXT_VERSION: AtomicU64 = AtomicU64::new(1);

#[derive(Debug, Clone)]
pub struct Variable {
    /// Unique for the process: engines lock variables in id order, so two never deadlock.
    pub id: u64,
    pub shape: Vec<usize>,
    pub data: Arc<RwLock<Vec<f32>>>,
    /// Changes whenever the buffer may have been written (`write`): what is derived from the
    /// weights (weights packed for the GEMM kernel at inference) is valid while it stays the same.
    version: Arc<AtomicU64>,
}

impl Variable {
    pub fn new(value: &Tensor) -> Variable {
        Variable {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            shape: value.shape().to_vec(),
            data: Arc::new(RwLock::new(value.to_f32().into_owned())),
            version: Arc::new(AtomicU64::new(NEXT_VERSION.fetch_add(1, Ordering::Relaxed))),
        }
    }

    /// The buffer, locked for writing: every write goes through here, which gives the variable
    /// a new version (taken while the lock is held, so a reader that sees the old version under
    /// its read lock sees the old contents).
    pub fn write(&self) -> RwLockWriteGuard<'_, Vec<f32>> {
        let guard = self.data.write().unwrap_or_else(|e| e.into_inner());
        self.version.store(NEXT_VERSION.fetch_add(1, Ordering::Relaxed), Ordering::Release);
        guard
    }

    /// As `write`, or None at once when the lock is held elsewhere.
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, Vec<f32>>> {
        let guard = match self.data.try_write() {
            Ok(guard) => guard,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        self.version.store(NEXT_VERSION.fetch_add(1, Ordering::Relaxed), Ordering::Release);
        Some(guard)
    }

    /// The current version; read it under a lock on `data` for it to describe what is read.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    pub fn read(&self) -> Tensor {
        let data = self.data.read().unwrap_or_else(|e| e.into_inner()).clone();
        Tensor::from_f32(self.shape.clone(), data).expect("variable buffer matches its shape")
    }

    pub fn assign(&self, value: &Tensor, name: &str) -> Result<()> {
        if value.shape() != self.shape.as_slice() {
            return Err(KilnError::shape(format!("Variable '{name}' has shape {}, but the assigned value has shape {}", shape_str(&self.shape), shape_str(value.shape()))));
        }
        self.write().copy_from_slice(&value.to_f32());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_write_gives_a_new_version_shared_by_clones() {
        let v = Variable::new(&Tensor::from_f32(vec![2], vec![1.0, 2.0]).unwrap());
        let clone = v.clone();
        let first = v.version();
        drop(v.data.read().unwrap());
        assert_eq!(v.version(), first, "reading keeps the version");
        v.write()[0] = 3.0;
        let second = clone.version();
        assert_ne!(second, first);
        v.assign(&Tensor::from_f32(vec![2], vec![4.0, 5.0]).unwrap(), "w").unwrap();
        assert_ne!(clone.version(), second);
    }
}
