//! Compute kernels grouped by op family; each is tested against a naive reference and,
//! where it has a gradient, against finite differences.
pub mod augment;
pub mod axis;
pub mod batch_matmul;
pub mod batch_norm;
pub mod bias_activation;
pub mod binary;
pub mod conv;
pub mod conv_direct;
pub mod conv_epilogue;
pub mod conv_transpose;
pub mod depthwise_conv;
pub mod dropout;
pub mod extremum;
pub mod gemm;
pub mod gemm_packed;
mod lanes;
pub mod loss;
pub mod metrics;
pub mod noise;
pub mod permute;
pub mod pool;
pub mod reduce;
pub mod resample;
pub mod residual_activation;
pub mod rnn;
pub mod softmax;
pub mod transpose;
pub mod unary;
pub mod winograd;
// Ops for custom layers (kiln.ops).
pub mod index_map;
pub mod scan;
pub mod top_k;

#[cfg(test)]
pub(crate) mod testing;
