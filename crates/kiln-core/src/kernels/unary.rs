//! Elementwise functions of one tensor and their gradients, written once for every op.
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
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
    #[inline]
    pub fn apply(self, x: f32) -> f32 {
        match self {
            UnaryOp::Linear => x,
            UnaryOp::Relu => x.max(0.0),
            UnaryOp::Sigmoid => sigmoid(x),
            UnaryOp::Tanh => x.tanh(),
            UnaryOp::Exp => x.exp(),
            UnaryOp::Log => x.ln(),
            UnaryOp::Square => x * x,
            UnaryOp::Sqrt => x.sqrt(),
            UnaryOp::Neg => -x,
            UnaryOp::Abs => x.abs(),
        }
    }

    /// dy/dx from the input x and the output y (whichever is cheaper).
    #[inline]
    pub fn derivative(self, x: f32, y: f32) -> f32 {
        match self {
            UnaryOp::Linear => 1.0,
            UnaryOp::Relu => if x > 0.0 { 1.0 } else { 0.0 },
            UnaryOp::Sigmoid => y * (1.0 - y),
            UnaryOp::Tanh => 1.0 - y * y,
            UnaryOp::Exp => y,
            UnaryOp::Log => 1.0 / x,
            UnaryOp::Square => 2.0 * x,
            UnaryOp::Sqrt => 0.5 / y,
            UnaryOp::Neg => -1.0,
            UnaryOp::Abs => x.signum() * (x != 0.0) as i32 as f32,
        }
    }
}

pub fn forward(op: UnaryOp, x: &[f32], y: &mut [f32]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = op.apply(xi);
    }
}

/// dx += dy * f'(x).
pub fn backward(op: UnaryOp, x: &[f32], y: &[f32], dy: &[f32], dx: &mut [f32]) {
    for i in 0..dx.len() {
        dx[i] += dy[i] * op.derivative(x[i], y[i]);
    }
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
    fn gradients_match_finite_differences() {
        use UnaryOp::*;
        for op in [Linear, Relu, Sigmoid, Tanh, Exp, Log, Square, Sqrt, Neg, Abs] {
            // Positive inputs away from the kinks of relu/abs and inside log/sqrt's domain.
            let x = vec![0.3, 1.7, 0.9, 2.2];
            check_gradient(&format!("{op:?}"), &x, |x| {
                let mut y = vec![0.0; x.len()];
                forward(op, x, &mut y);
                y
            }, |x, dy| {
                let mut y = vec![0.0; x.len()];
                forward(op, x, &mut y);
                let mut dx = vec![0.0; x.len()];
                backward(op, x, &y, dy, &mut dx);
                dx
            });
        }
        // relu and abs on the negative side too
        for op in [Relu, Abs] {
            let x = vec![-0.3, -1.7, 0.9, -2.2];
            check_gradient(&format!("{op:?}"), &x, |x| x.iter().map(|&v| op.apply(v)).collect(), |x, dy| {
                let y: Vec<f32> = x.iter().map(|&v| op.apply(v)).collect();
                let mut dx = vec![0.0; x.len()];
                backward(op, x, &y, dy, &mut dx);
                dx
            });
        }
    }
}
