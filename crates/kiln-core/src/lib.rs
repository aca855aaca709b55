//! kiln-core: the pure-Rust engine of kiln-nn. It knows nothing of JavaScript: tensors,
//! kernels, the graph with its autodiff, optimizers and the training engine.
pub mod alloc;
pub mod constraints;
pub mod distribution;
pub mod engine;
pub mod error;
pub mod gradients;
pub mod graph;
pub mod kernels;
pub mod ops;
pub mod optim;
pub mod rng;
#[cfg(feature = "ts")]
pub mod schema;
pub mod tensor;
pub mod threads;
pub mod variable;

pub use engine::Engine;
pub use error::{KilnError, Result};
pub use tensor::{DType, Storage, Tensor};
pub use variable::Variable;
