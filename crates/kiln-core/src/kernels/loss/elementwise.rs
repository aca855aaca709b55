//! Losses made of one term per value, averaged (or, for KL divergence, summed) over each
//! sample: the regression losses, the hinges, Poisson.
use super::{Loss, LossKind, EPSILON};
use crate::kernels::unary::{sign, UnaryOp};

/// Sum over rows of mean(term(p, t)) over each row of `width`; `term` gives a value and its
/// derivative in p.
pub fn mean_of_terms(pred: &[f32], target: &[f32], width: usize, grad: Option<&mut [f32]>, scale: f32, term: impl Fn(f32, f32) -> (f32, f32)) -> f64 {
    sum_of_terms(pred, target, grad, scale / width as f32, term) / width as f64
}

/// Sum of term(p, t) over every value; the gradient is scaled by `scale`.
fn sum_of_terms(pred: &[f32], target: &[f32], grad: Option<&mut [f32]>, scale: f32, term: impl Fn(f32, f32) -> (f32, f32)) -> f64 {
    let mut total = 0.0f64;
    match grad {
        Some(g) => {
            for ((&p, &t), g) in pred.iter().zip(target).zip(g.iter_mut()) {
                let (value, slope) = term(p, t);
                total += value as f64;
                *g = slope * scale;
            }
        }
        None => total = pred.iter().zip(target).map(|(&p, &t)| term(p, t).0 as f64).sum(),
    }
    total
}

pub fn loss_and_grad(loss: &Loss, pred: &[f32], target: &[f32], width: usize, grad: Option<&mut [f32]>, scale: f32) -> f64 {
    if loss.kind == LossKind::KlDivergence {
        // Both clipped to [EPSILON, 1]; the sum (not the mean) of t log(t / p) over the sample.
        return sum_of_terms(pred, target, grad, scale, |p, t| {
            let (t, q) = (t.clamp(EPSILON, 1.0), p.clamp(EPSILON, 1.0));
            (t * (t / q).ln(), if p > EPSILON && p < 1.0 { -t / q } else { 0.0 })
        });
    }
    // A macro, not a closure over `grad`: each loss's term is inlined into its own loop.
    macro_rules! mean {
        ($term:expr) => {
            mean_of_terms(pred, target, width, grad, scale, $term)
        };
    }
    match loss.kind {
        LossKind::MeanSquaredError => mean!(|p, t| ((p - t) * (p - t), 2.0 * (p - t))),
        LossKind::MeanAbsoluteError => mean!(|p, t| ((p - t).abs(), sign(p - t))),
        LossKind::MeanAbsolutePercentageError => mean!(|p, t| {
            let denominator = t.abs().max(EPSILON);
            (100.0 * ((t - p) / denominator).abs(), 100.0 * sign(p - t) / denominator)
        }),
        LossKind::MeanSquaredLogarithmicError => mean!(|p, t| {
            let d = (p.max(EPSILON) + 1.0).ln() - (t.max(EPSILON) + 1.0).ln();
            (d * d, if p > EPSILON { 2.0 * d / (p + 1.0) } else { 0.0 })
        }),
        LossKind::Huber => {
            let delta = loss.delta;
            mean!(|p, t| {
                let e = p - t;
                if e.abs() <= delta {
                    (0.5 * e * e, e)
                } else {
                    (delta * e.abs() - 0.5 * delta * delta, delta * sign(e))
                }
            })
        }
        // log(cosh(x)) = x + softplus(-2x) - log 2; its derivative is tanh(x).
        LossKind::LogCosh => mean!(|p, t| {
            let x = p - t;
            (x + UnaryOp::Softplus.apply(-2.0 * x) - std::f32::consts::LN_2, x.tanh())
        }),
        LossKind::Hinge => mean!(|p, t| {
            let margin = 1.0 - t * p;
            // NaN stays NaN (TerminateOnNaN must see a diverged model).
            if margin <= 0.0 {
                (0.0, 0.0)
            } else {
                (margin, -t)
            }
        }),
        LossKind::SquaredHinge => mean!(|p, t| {
            let margin = crate::kernels::extremum::maximum(1.0 - t * p, 0.0);
            (margin * margin, -2.0 * t * margin)
        }),
        LossKind::Poisson => mean!(|p, t| (p - t * (p + EPSILON).ln(), 1.0 - t / (p + EPSILON))),
        kind => unreachable!("{kind:?} is not an elementwise loss"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check_loss_gradient, value};
    use super::*;

    #[test]
    fn values_match_keras_hand_computations() {
        let (t, p) = ([0.0, 1.0, 0.0, 0.0], [0.6, 0.4, 0.4, 0.6]);
        // Keras' docstring examples: huber 0.155, log_cosh([[0,1],[0,0]], [[1,1],[0,0]]) 0.108.
        assert!((value(LossKind::Huber, &p, &t, 2) / 2.0 - 0.155).abs() < 1e-6);
        let lc = value(LossKind::LogCosh, &[1.0, 1.0, 0.0, 0.0], &[0.0, 1.0, 0.0, 0.0], 2) / 2.0;
        assert!((lc - 1f64.cosh().ln() / 4.0).abs() < 1e-6, "{lc}");
        assert!((value(LossKind::MeanSquaredError, &[1.0, 1.0], &[0.0, 1.0], 1) - 0.5).abs() < 1e-7);
        assert!((value(LossKind::MeanAbsoluteError, &[1.0, -1.0], &[0.0, 1.0], 1) - 1.5).abs() < 1e-7);
        // MAPE: 100 * mean(|t - p| / |t|).
        assert!((value(LossKind::MeanAbsolutePercentageError, &[1.5, 3.0], &[2.0, -4.0], 1) - 100.0 * (0.25 + 1.75) / 2.0).abs() < 1e-4);
        let msle = ((2.0f64).ln() - (4.0f64).ln()).powi(2) / 2.0 + ((1e-7f64 + 1.0).ln() - (1.5f64).ln()).powi(2) / 2.0;
        assert!((value(LossKind::MeanSquaredLogarithmicError, &[1.0, -2.0], &[3.0, 0.5], 1) - msle).abs() < 1e-6);
        // Hinges with 0/1 labels read as -1/1: margins 1 - (-1)(0.3) = 1.3 and 1 - 0.4 = 0.6.
        assert!((value(LossKind::Hinge, &[0.3, 0.4], &[0.0, 1.0], 1) - (1.3 + 0.6) / 2.0).abs() < 1e-6);
        assert!((value(LossKind::SquaredHinge, &[0.3, 2.0], &[-1.0, 1.0], 1) - 1.69 / 2.0).abs() < 1e-6);
        let poisson = ((0.5 - 1.0 * (0.5f64 + 1e-7).ln()) + (2.0 - 0.0)) / 2.0;
        assert!((value(LossKind::Poisson, &[0.5, 2.0], &[1.0, 0.0], 1) - poisson).abs() < 1e-6);
        // KL: 0.25 ln(0.25 / 0.5) + 0.75 ln(0.75 / 0.5); t = 0 is clipped to 1e-7.
        let kl = 0.25 * 0.5f64.ln() + 0.75 * 1.5f64.ln();
        assert!((value(LossKind::KlDivergence, &[0.5, 0.5], &[0.25, 0.75], 1) - kl).abs() < 1e-6);
        let kl0 = 1e-7 * (1e-7f64 / 0.5).ln() + 1.0 * (1.0f64 / 0.5).ln();
        assert!((value(LossKind::KlDivergence, &[0.5, 0.5], &[0.0, 1.0], 1) - kl0).abs() < 1e-6);
    }

    #[test]
    fn huber_delta_moves_the_switch() {
        let loss = Loss { delta: 2.0, ..Loss::new(LossKind::Huber) };
        // |e| = 3 > 2: 2 * 3 - 0.5 * 4 = 4; |e| = 1.5 <= 2: 0.5 * 2.25.
        let v = super::super::loss_and_grad(&loss, &[3.0, 1.5], &[0.0, 0.0], 1, None, 1.0);
        assert!((v - (4.0 + 1.125) / 2.0).abs() < 1e-6, "{v}");
    }

    #[test]
    fn gradients_match_finite_differences() {
        let pred = [0.2, 0.5, 0.3, 0.6, 0.1, 0.3];
        let target = [0.0, 1.0, 0.5, 0.2, 0.25, 0.9];
        for kind in [LossKind::MeanSquaredError, LossKind::MeanAbsoluteError, LossKind::MeanSquaredLogarithmicError, LossKind::LogCosh, LossKind::Poisson, LossKind::KlDivergence] {
            check_loss_gradient(&kind.into(), &pred, &target, 2);
        }
        // MAPE away from t = 0, where it is 1e9-sized and f32 differences see nothing.
        check_loss_gradient(&LossKind::MeanAbsolutePercentageError.into(), &pred, &[0.1, 1.0, 0.5, -0.2, 0.25, 0.9], 2);
        // Both branches of Huber (delta 0.3 puts some errors past it).
        check_loss_gradient(&Loss { delta: 0.3, ..Loss::new(LossKind::Huber) }, &pred, &target, 2);
        check_loss_gradient(&LossKind::Huber.into(), &[2.0, -1.5, 0.3, 0.6, 0.1, 0.3], &target, 2);
        // Hinges, with 0/1 labels and with -1/1 labels; no margin sits at the kink.
        let hinge_pred = [0.2, -1.5, 0.3, 2.6, -0.1, 0.7];
        for kind in [LossKind::Hinge, LossKind::SquaredHinge] {
            check_loss_gradient(&kind.into(), &hinge_pred, &[0.0, 1.0, 1.0, 1.0, 0.0, 0.0], 2);
            check_loss_gradient(&kind.into(), &hinge_pred, &[-1.0, 1.0, 1.0, -1.0, -1.0, 1.0], 2);
        }
    }
}
