//! Elementwise functions of one tensor and their gradients, written once for every op.
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum UnaryOp {
    Linear,
    Relu,
    Sigmoid,
    Tanh,
    Exp,
    Log,
    Square,
    Sqrt,
    Neg,
    Abs,
    Elu,
    Selu,
    Gelu,
    Swish,
    Softplus,
    Softsign,
    HardSigmoid,
    LeakyRelu,
    Relu6,
    // Ops for custom layers (kiln.ops).
    Erf,
}

/// SELU's constants (Klambauer et al. 2017), as Keras uses them.
const SELU_SCALE: f32 = 1.050_701;
const SELU_ALPHA: f32 = 1.673_263_2;
/// Keras' default negative slope of the leaky_relu activation.
const LEAKY_SLOPE: f32 = 0.2;

/// 1 or -1 by the sign, 0 at 0 (Keras' `ops.sign`, and the subgradient its `abs` gives).
pub fn sign(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// erf by Abramowitz and Stegun 7.1.26 (error below 1.5e-7, under float32's resolution here).
fn erf(x: f32) -> f32 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let poly = t * (0.254_829_6 + t * (-0.284_496_72 + t * (1.421_413_8 + t * (-1.453_152_1 + t * 1.061_405_4))));
    let y = 1.0 - poly * (-x * x).exp();
    if x < 0.0 {
        -y
    } else {
        y
    }
}

fn sigmoid(x: f32) -> f32 {
    // Split by sign so exp never overflows.
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

impl UnaryOp {
    #[inline(always)]
    pub fn apply(self, x: f32) -> f32 {
        match self {
            UnaryOp::Linear => x,
            // NaN stays NaN, as in TensorFlow (`x.max(0.0)` would give 0).
            UnaryOp::Relu => {
                if x < 0.0 {
                    0.0
                } else {
                    x
                }
            }
            UnaryOp::Sigmoid => sigmoid(x),
            UnaryOp::Tanh => x.tanh(),
            UnaryOp::Exp => x.exp(),
            UnaryOp::Log => x.ln(),
            UnaryOp::Square => x * x,
            UnaryOp::Sqrt => x.sqrt(),
            UnaryOp::Neg => -x,
            UnaryOp::Abs => x.abs(),
            UnaryOp::Elu => {
                if x > 0.0 {
                    x
                } else {
                    x.exp_m1()
                }
            }
            UnaryOp::Selu => SELU_SCALE * if x > 0.0 { x } else { SELU_ALPHA * x.exp_m1() },
            UnaryOp::Gelu => 0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2)),
            UnaryOp::Swish => x * sigmoid(x),
            UnaryOp::Softplus => super::extremum::maximum(x, 0.0) + (-x.abs()).exp().ln_1p(),
            UnaryOp::Softsign => x / (1.0 + x.abs()),
            UnaryOp::HardSigmoid => (x / 6.0 + 0.5).clamp(0.0, 1.0),
            UnaryOp::LeakyRelu => {
                if x > 0.0 {
                    x
                } else {
                    LEAKY_SLOPE * x
                }
            }
            UnaryOp::Relu6 => x.clamp(0.0, 6.0),
            UnaryOp::Erf => erf(x),
        }
    }

    /// dy/dx from the input x and the output y (whichever is cheaper).
    #[inline(always)]
    pub fn derivative(self, x: f32, y: f32) -> f32 {
        match self {
            UnaryOp::Linear => 1.0,
            UnaryOp::Relu => {
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            UnaryOp::Sigmoid => y * (1.0 - y),
            UnaryOp::Tanh => 1.0 - y * y,
            UnaryOp::Exp => y,
            UnaryOp::Log => 1.0 / x,
            UnaryOp::Square => 2.0 * x,
            UnaryOp::Sqrt => 0.5 / y,
            UnaryOp::Neg => -1.0,
            UnaryOp::Abs => sign(x),
            UnaryOp::Elu => {
                if x > 0.0 {
                    1.0
                } else {
                    y + 1.0
                }
            }
            UnaryOp::Selu => {
                if x > 0.0 {
                    SELU_SCALE
                } else {
                    y + SELU_SCALE * SELU_ALPHA
                }
            }
            UnaryOp::Gelu => {
                let density = (-0.5 * x * x).exp() * (0.5 * std::f32::consts::FRAC_2_SQRT_PI * std::f32::consts::FRAC_1_SQRT_2);
                0.5 * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2)) + x * density
            }
            UnaryOp::Swish => {
                let s = sigmoid(x);
                s + x * s * (1.0 - s)
            }
            UnaryOp::Softplus => sigmoid(x),
            UnaryOp::Softsign => 1.0 / ((1.0 + x.abs()) * (1.0 + x.abs())),
            UnaryOp::HardSigmoid => {
                if x > -3.0 && x < 3.0 {
                    1.0 / 6.0
                } else {
                    0.0
                }
            }
            UnaryOp::LeakyRelu => {
                if x > 0.0 {
                    1.0
                } else {
                    LEAKY_SLOPE
                }
            }
            UnaryOp::Relu6 => {
                if x > 0.0 && x < 6.0 {
                    1.0
                } else {
                    0.0
                }
            }
            UnaryOp::Erf => std::f32::consts::FRAC_2_SQRT_PI * (-x * x).exp(),
        }
    }
}

impl UnaryOp {
    /// Whether the output alone gives the derivative (`derivative_of_output`): then a fused
    /// bias + activation need not keep its input for the backward pass.
    pub fn output_gives_derivative(self) -> bool {
        use UnaryOp::*;
        matches!(self, Linear | Relu | Sigmoid | Tanh | Exp | Sqrt | Neg | Elu | Selu | LeakyRelu | Relu6)
    }

    /// `derivative(x, y)` from y alone, for the ops of `output_gives_derivative` (equal for
    /// every x: where these ops test x > 0 (or x < 6), y passes the same test).
    #[inline(always)]
    pub fn derivative_of_output(self, y: f32) -> f32 {
        match self {
            UnaryOp::Relu | UnaryOp::LeakyRelu | UnaryOp::Elu | UnaryOp::Selu => self.derivative(if y > 0.0 { 1.0 } else { 0.0 }, y),
            UnaryOp::Relu6 => self.derivative(if y > 0.0 && y < 6.0 { 1.0 } else { 0.0 }, y),
            _ => self.derivative(0.0, y),
        }
    }
}

/// Runs `$body` with `$f` bound to a closure calling `$method` for the op, so each op gets its
/// own loop with no match inside (and relu, sigmoid, tanh loops vectorise).
macro_rules! per_op {
    ($op:expr, $method:ident, |$f:ident| $body:expr) => {
        match $op {
            UnaryOp::Linear => {
                let $f = |a, b| UnaryOp::Linear.$method(a, b);
                $body
            }
            UnaryOp::Relu => {
                let $f = |a, b| UnaryOp::Relu.$method(a, b);
                $body
            }
            UnaryOp::Sigmoid => {
                let $f = |a, b| UnaryOp::Sigmoid.$method(a, b);
                $body
            }
            UnaryOp::Tanh => {
                let $f = |a, b| UnaryOp::Tanh.$method(a, b);
                $body
            }
            UnaryOp::Exp => {
                let $f = |a, b| UnaryOp::Exp.$method(a, b);
                $body
            }
            UnaryOp::Log => {
                let $f = |a, b| UnaryOp::Log.$method(a, b);
                $body
            }
            UnaryOp::Square => {
                let $f = |a, b| UnaryOp::Square.$method(a, b);
                $body
            }
            UnaryOp::Sqrt => {
                let $f = |a, b| UnaryOp::Sqrt.$method(a, b);
                $body
            }
            UnaryOp::Neg => {
                let $f = |a, b| UnaryOp::Neg.$method(a, b);
                $body
            }
            UnaryOp::Abs => {
                let $f = |a, b| UnaryOp::Abs.$method(a, b);
                $body
            }
            UnaryOp::Elu => {
                let $f = |a, b| UnaryOp::Elu.$method(a, b);
                $body
            }
            UnaryOp::Selu => {
                let $f = |a, b| UnaryOp::Selu.$method(a, b);
                $body
            }
            UnaryOp::Gelu => {
                let $f = |a, b| UnaryOp::Gelu.$method(a, b);
                $body
            }
            UnaryOp::Swish => {
                let $f = |a, b| UnaryOp::Swish.$method(a, b);
                $body
            }
            UnaryOp::Softplus => {
                let $f = |a, b| UnaryOp::Softplus.$method(a, b);
                $body
            }
            UnaryOp::Softsign => {
                let $f = |a, b| UnaryOp::Softsign.$method(a, b);
                $body
            }
            UnaryOp::HardSigmoid => {
                let $f = |a, b| UnaryOp::HardSigmoid.$method(a, b);
                $body
            }
            UnaryOp::LeakyRelu => {
                let $f = |a, b| UnaryOp::LeakyRelu.$method(a, b);
                $body
            }
            UnaryOp::Relu6 => {
                let $f = |a, b| UnaryOp::Relu6.$method(a, b);
                $body
            }
            UnaryOp::Erf => {
                let $f = |a, b| UnaryOp::Erf.$method(a, b);
                $body
            }
        }
    };
}

pub(crate) use per_op;

impl UnaryOp {
    #[inline(always)]
    pub(crate) fn apply2(self, x: f32, _unused: f32) -> f32 {
        self.apply(x)
    }
    /// `derivative_of_output(y)` in the two-argument form `per_op!` calls.
    #[inline(always)]
    pub(crate) fn derivative_of_output2(self, _unused: f32, y: f32) -> f32 {
        self.derivative_of_output(y)
    }
}

pub fn forward(op: UnaryOp, x: &[f32], y: &mut [f32]) {
    per_op!(op, apply2, |f| y.iter_mut().zip(x).for_each(|(yi, &xi)| *yi = f(xi, 0.0)))
}

/// dx += dy * f'(x).
pub fn backward(op: UnaryOp, x: &[f32], y: &[f32], dy: &[f32], dx: &mut [f32]) {
    per_op!(op, derivative, |f| dx.iter_mut().zip(x).zip(y).zip(dy).for_each(|(((d, &xi), &yi), &g)| *d += g * f(xi, yi)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::check_gradient;

    #[test]
    fn values_match_the_definitions() {
        assert_eq!(UnaryOp::Relu.apply(-2.0), 0.0);
        assert!((UnaryOp::Sigmoid.apply(0.0) - 0.5).abs() < 1e-7);
        assert!((UnaryOp::Sigmoid.apply(-100.0)).abs() < 1e-30);
        assert!((UnaryOp::Tanh.apply(0.5) - 0.5f32.tanh()).abs() < 1e-7);
    }

    #[test]
    fn nan_stays_nan_through_every_function() {
        use UnaryOp::*;
        for op in [Linear, Relu, Sigmoid, Tanh, Exp, Log, Square, Sqrt, Neg, Abs, Elu, Selu, Gelu, Swish, Softplus, Softsign, HardSigmoid, LeakyRelu, Relu6] {
            let mut y = vec![0.0; 9];
            forward(op, &[f32::NAN; 9], &mut y);
            assert!(y.iter().all(|v| v.is_nan()), "{op:?}(NaN) gave {y:?}");
        }
        assert_eq!(Relu.apply(f32::INFINITY), f32::INFINITY);
    }

    #[test]
    fn new_activations_match_keras_values() {
        // Values printed by Keras 3.15 (keras.activations.*, float32) at these points.
        let cases: [(UnaryOp, f32, f32); 9] = [
            (UnaryOp::Elu, -1.0, -0.632_120_55),
            (UnaryOp::Selu, -1.0, -1.111_330_7),
            (UnaryOp::Gelu, 0.5, 0.345_731_23),
            (UnaryOp::Gelu, -1.5, -0.100_210_83),
            (UnaryOp::Swish, 1.0, 0.731_058_6),
            (UnaryOp::Softplus, -2.0, 0.126_928_01),
            (UnaryOp::Softsign, 3.0, 0.75),
            (UnaryOp::HardSigmoid, 1.5, 0.75),
            (UnaryOp::LeakyRelu, -2.0, -0.4),
        ];
        for (op, x, expected) in cases {
            assert!((op.apply(x) - expected).abs() < 2e-6, "{op:?}({x}) = {} vs {expected}", op.apply(x));
        }
        // scipy.special.erf at these points.
        assert!((UnaryOp::Erf.apply(0.5) - 0.520_499_9).abs() < 1e-6 && (UnaryOp::Erf.apply(-1.2) + 0.910_313_96).abs() < 1e-6);
        assert!(UnaryOp::Softplus.apply(100.0).is_finite() && UnaryOp::Softplus.apply(-100.0) >= 0.0);
    }

    #[test]
    fn gradients_match_finite_differences() {
        use UnaryOp::*;
        for op in [Linear, Relu, Sigmoid, Tanh, Exp, Log, Square, Sqrt, Neg, Abs, Elu, Selu, Gelu, Swish, Softplus, Softsign, HardSigmoid, LeakyRelu, Relu6, Erf] {
            // Positive inputs away from the kinks of relu/abs and inside log/sqrt's domain.
            let x = vec![0.3, 1.7, 0.9, 2.2];
            check_gradient(
                &format!("{op:?}"),
                &x,
                |x| {
                    let mut y = vec![0.0; x.len()];
                    forward(op, x, &mut y);
                    y
                },
                |x, dy| {
                    let mut y = vec![0.0; x.len()];
                    forward(op, x, &mut y);
                    let mut dx = vec![0.0; x.len()];
                    backward(op, x, &y, dy, &mut dx);
                    dx
                },
            );
        }
        // The negative side too, where the piecewise ones change form.
        for op in [Relu, Abs, Elu, Selu, Gelu, Swish, Softplus, Softsign, HardSigmoid, LeakyRelu, Erf] {
            let x = vec![-0.3, -1.7, 0.9, -2.2];
            check_gradient(
                &format!("{op:?}"),
                &x,
                |x| x.iter().map(|&v| op.apply(v)).collect(),
                |x, dy| {
                    let y: Vec<f32> = x.iter().map(|&v| op.apply(v)).collect();
                    let mut dx = vec![0.0; x.len()];
                    backward(op, x, &y, dy, &mut dx);
                    dx
                },
            );
        }
    }
}
