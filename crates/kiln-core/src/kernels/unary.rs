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
    #[inline(always)]
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
    #[inline(always)]
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

/// Runs `$body` with `$f` bound to a closure calling `$method` for the op, so each op gets its
/// own loop with no match inside (and relu, sigmoid, tanh loops vectorise).
macro_rules! per_op {
    ($op:expr, $method:ident, |$f:ident| $body:expr) => {
        match $op {
            UnaryOp::Linear => { let $f = |a, b| UnaryOp::Linear.$method(a, b); $body }
            UnaryOp::Relu => { let $f = |a, b| UnaryOp::Relu.$method(a, b); $body }
            UnaryOp::Sigmoid => { let $f = |a, b| UnaryOp::Sigmoid.$method(a, b); $body }
            UnaryOp::Tanh => { let $f = |a, b| UnaryOp::Tanh.$method(a, b); $body }
            UnaryOp::Exp => { let $f = |a, b| UnaryOp::Exp.$method(a, b); $body }
            UnaryOp::Log => { let $f = |a, b| UnaryOp::Log.$method(a, b); $body }
            UnaryOp::Square => { let $f = |a, b| UnaryOp::Square.$method(a, b); $body }
            UnaryOp::Sqrt => { let $f = |a, b| UnaryOp::Sqrt.$method(a, b); $body }
            UnaryOp::Neg => { let $f = |a, b| UnaryOp::Neg.$method(a, b); $body }
            UnaryOp::Abs => { let $f = |a, b| UnaryOp::Abs.$method(a, b); $body }
        }
    };
}

impl UnaryOp {
    #[inline(always)]
    fn apply2(self, x: f32, _unused: f32) -> f32 {
        self.apply(x)
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
