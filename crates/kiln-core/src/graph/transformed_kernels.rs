//! Convolution kernels kept in Winograd's transform domain for inference (kernels::winograd):
//! the transform depends on the weights only, so an inference pass computes it once per
//! weight generation instead of on every call. One slot per graph node, shared by the plans
//! of every batch size (the transform does not depend on the batch). Memory: 16/9 (F(2x2))
//! or 36/9 (F(4x4)) of each kernel that has run through it, for as long as the engine lives:
//! ResNet50's 3x3 kernels (45 MB) take about 180 MB once batch 32 has run.
use std::sync::Mutex;

/// One node's transformed kernels, each with the generation it was computed from.
type Kept = Vec<(u64, Vec<f32>)>;

/// Per node: its transformed kernels, one per tile size (a length: F(2x2, 3x3)'s or
/// F(4x4, 3x3)'s, which plans of different batch sizes may each take), with the generation
/// each was computed from.
pub struct TransformedKernels {
    /// Locked by the one pass that runs at a time (the engine's plans run one after another):
    /// a lock rather than `&mut` because the pass holds the folds shared.
    slots: Vec<Mutex<Kept>>,
}

impl TransformedKernels {
    pub fn new(nodes: usize) -> TransformedKernels {
        TransformedKernels { slots: (0..nodes).map(|_| Mutex::new(Vec::new())).collect() }
    }

    /// Runs `apply` on node `id`'s transformed kernel of `len` values, computed by
    /// `transform` unless the slot holds one of that length from `generation`.
    pub fn with<R>(&self, id: usize, generation: u64, len: usize, transform: impl FnOnce(&mut [f32]), apply: impl FnOnce(&[f32]) -> R) -> R {
        let mut kept = self.slots[id].lock().unwrap_or_else(|e| e.into_inner());
        let at = match kept.iter().position(|(_, u)| u.len() == len) {
            Some(at) => at,
            None => {
                kept.push((0, vec![0.0; len]));
                kept.len() - 1
            }
        };
        let (g, u) = &mut kept[at];
        if *g != generation {
            // Marked stale first (generations start at 1): a transform that panics leaves no
            // half-written kernel valid.
            *g = 0;
            transform(u);
            *g = generation;
        }
        apply(u)
    }

    /// How many nodes hold a transformed kernel (for tests).
    pub fn count(&self) -> usize {
        self.slots.iter().filter(|s| !s.lock().unwrap_or_else(|e| e.into_inner()).is_empty()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kernel_is_transformed_again_only_for_a_new_generation() {
        let kept = TransformedKernels::new(2);
        let calls = std::cell::Cell::new(0);
        let run = |generation: u64, len: usize, value: f32| {
            let transform = |u: &mut [f32]| {
                calls.set(calls.get() + 1);
                u.fill(value);
            };
            kept.with(1, generation, len, transform, |u| (u.len(), u[0]))
        };
        assert_eq!(run(5, 4, 1.0), (4, 1.0));
        assert_eq!(run(5, 4, 2.0), (4, 1.0), "the same generation: kept");
        assert_eq!(calls.get(), 1);
        assert_eq!(run(6, 4, 3.0), (4, 3.0), "a new generation: transformed again");
        // Another tile size is kept beside it, each with its own generation.
        assert_eq!(run(6, 9, 4.0), (9, 4.0));
        assert_eq!(run(6, 4, 5.0), (4, 3.0));
        assert_eq!(run(7, 4, 6.0), (4, 6.0));
        assert_eq!(run(7, 9, 7.0), (9, 7.0));
        assert_eq!((calls.get(), kept.count()), (5, 1));
    }
}
