//! Compute kernels grouped by op family; each is tested against a naive reference and,
//! where it has a gradient, against finite differences.
pub mod batch_norm;
pub mod binary;
pub mod conv;
pub mod dropout;
pub mod gemm;
pub mod loss;
pub mod metrics;
pub mod pool;
pub mod reduce;
pub mod rnn;
pub mod softmax;
pub mod transpose;
pub mod unary;

#[cfg(test)]
pub(crate) mod testing;
