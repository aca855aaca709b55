//! Weight constraints, applied to a variable after each optimizer step as Keras does
//! (keras/src/constraints/constraints.py): the norm-based ones rescale slices of the weight
//! whose L2 norm is taken over `axis` (Keras' default 0: each column of a Dense kernel).
use crate::error::{shape_str, KilnError, Result};
use serde::Deserialize;

/// Keras' `epsilon()`, added to norms before dividing.
const EPSILON: f32 = 1e-7;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Constraint {
    /// Norms above `max_value` are scaled down to it.
    MaxNorm {
        max_value: f32,
        #[cfg_attr(feature = "ts", ts(as = "Vec<i32>"))]
        axis: Vec<i64>,
    },
    /// Negative entries become zero.
    NonNeg,
    /// Every slice is scaled to norm 1.
    UnitNorm {
        #[cfg_attr(feature = "ts", ts(as = "Vec<i32>"))]
        axis: Vec<i64>,
    },
    /// Norms move toward [min_value, max_value] by the fraction `rate`.
    MinMaxNorm {
        min_value: f32,
        max_value: f32,
        rate: f32,
        #[cfg_attr(feature = "ts", ts(as = "Vec<i32>"))]
        axis: Vec<i64>,
    },
}

/// A constraint on the variable `variable` of the engine's list.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConstraintSpec {
    pub variable: usize,
    #[serde(flatten)]
    pub constraint: Constraint,
}

impl Constraint {
    /// Refuses axes outside the weight's rank, at compile time.
    pub fn check(&self, shape: &[usize], name: &str) -> Result<()> {
        for &a in self.axes() {
            if a < -(shape.len() as i64) || a >= shape.len() as i64 {
                return Err(KilnError::value(format!("Constraint on {name}: axis {a} is out of range for a weight of shape {}", shape_str(shape))));
            }
        }
        Ok(())
    }

    fn axes(&self) -> &[i64] {
        match self {
            Constraint::MaxNorm { axis, .. } | Constraint::UnitNorm { axis } | Constraint::MinMaxNorm { axis, .. } => axis,
            Constraint::NonNeg => &[],
        }
    }

    /// The norm a slice of norm `norm` is scaled to.
    fn desired(&self, norm: f32) -> f32 {
        match *self {
            Constraint::MaxNorm { max_value, .. } => norm.clamp(0.0, max_value),
            Constraint::UnitNorm { .. } => 1.0,
            Constraint::MinMaxNorm { min_value, max_value, rate, .. } => rate * norm.clamp(min_value, max_value) + (1.0 - rate) * norm,
            Constraint::NonNeg => norm,
        }
    }

    /// Applies the constraint to `w` (of `shape`) in place.
    pub fn apply(&self, w: &mut [f32], shape: &[usize]) {
        if *self == Constraint::NonNeg {
            w.iter_mut().filter(|v| **v < 0.0).for_each(|v| *v = 0.0);
            return;
        }
        let rank = shape.len() as i64;
        let reduced: Vec<bool> = (0..shape.len()).map(|d| self.axes().iter().any(|&a| (if a < 0 { a + rank } else { a }) as usize == d)).collect();
        let slices: usize = shape.iter().zip(&reduced).filter(|(_, &r)| !r).map(|(d, _)| d).product();
        // Leading reduced axes (Keras' usual axis 0, or [0, 1, 2] for a Conv2D kernel) make
        // each slice a column of a [rows, slices] matrix: a vectorisable pass per row.
        let leading = reduced.iter().take_while(|&&r| r).count() == reduced.iter().filter(|&&r| r).count();
        let mut squares = vec![0.0f32; slices];
        if leading {
            for row in w.chunks_exact(slices.max(1)) {
                squares.iter_mut().zip(row).for_each(|(s, v)| *s += v * v);
            }
        } else {
            for_each_slice(shape, &reduced, |i, slice| squares[slice] += w[i] * w[i]);
        }
        let factors: Vec<f32> = squares
            .iter()
            .map(|&s| {
                let norm = s.sqrt();
                match self {
                    // Keras divides by (epsilon + norm) for UnitNorm and the others alike.
                    Constraint::UnitNorm { .. } => 1.0 / (EPSILON + norm),
                    _ => self.desired(norm) / (EPSILON + norm),
                }
            })
            .collect();
        if leading {
            for row in w.chunks_exact_mut(slices.max(1)) {
                row.iter_mut().zip(&factors).for_each(|(v, f)| *v *= f);
            }
        } else {
            for_each_slice(shape, &reduced, |i, slice| w[i] *= factors[slice]);
        }
    }
}

/// Calls `f(index, slice)` for every entry in row-major order, `slice` numbering the entries'
/// coordinates off the `reduced` axes; the slice index moves like an odometer, no division.
fn for_each_slice(shape: &[usize], reduced: &[bool], mut f: impl FnMut(usize, usize)) {
    let rank = shape.len();
    let mut strides = vec![0; rank];
    let mut stride = 1;
    for d in (0..rank).rev() {
        if !reduced[d] {
            strides[d] = stride;
            stride *= shape[d];
        }
    }
    let total: usize = shape.iter().product();
    let mut coords = vec![0; rank];
    let mut slice = 0;
    for i in 0..total {
        f(i, slice);
        for d in (0..rank).rev() {
            coords[d] += 1;
            slice += strides[d];
            if coords[d] < shape[d] {
                break;
            }
            slice -= strides[d] * shape[d];
            coords[d] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Constraint {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn max_norm_scales_only_columns_above_the_limit() {
        // [2, 2]: column 0 has norm 5, column 1 norm 1.
        let mut w = vec![3.0, 0.6, 4.0, 0.8];
        parse(r#"{"kind":"max_norm","max_value":2,"axis":[0]}"#).apply(&mut w, &[2, 2]);
        assert!((w[0] - 1.2).abs() < 1e-6 && (w[2] - 1.6).abs() < 1e-6, "{w:?}");
        assert!((w[1] - 0.6).abs() < 1e-6 && (w[3] - 0.8).abs() < 1e-6, "{w:?}");
    }

    #[test]
    fn trailing_axes_take_the_general_path() {
        // axis 1: each row of [[3, 4], [0.6, 0.8]] is a slice.
        let mut w = vec![3.0, 4.0, 0.6, 0.8];
        parse(r#"{"kind":"max_norm","max_value":2,"axis":[-1]}"#).apply(&mut w, &[2, 2]);
        assert!((w[0] - 1.2).abs() < 1e-6 && (w[1] - 1.6).abs() < 1e-6 && (w[2] - 0.6).abs() < 1e-6, "{w:?}");
    }

    #[test]
    fn unit_norm_over_several_axes_and_non_neg() {
        let mut w = vec![1.0, 2.0, 2.0, 4.0, -1.0, 0.0, 0.0, 3.0];
        parse(r#"{"kind":"unit_norm","axis":[0,1]}"#).apply(&mut w, &[2, 2, 2]);
        let norm = |k: usize| (0..4).map(|i| w[i * 2 + k].powi(2)).sum::<f32>().sqrt();
        assert!((norm(0) - 1.0).abs() < 1e-6 && (norm(1) - 1.0).abs() < 1e-6);
        let mut v = vec![-1.0, 2.0, -0.5];
        parse(r#"{"kind":"non_neg"}"#).apply(&mut v, &[3]);
        assert_eq!(v, vec![0.0, 2.0, 0.0]);
    }

    #[test]
    fn min_max_norm_moves_by_rate() {
        let mut w = vec![0.3, 0.4];
        parse(r#"{"kind":"min_max_norm","min_value":1,"max_value":2,"rate":0.5,"axis":[0]}"#).apply(&mut w, &[2]);
        // norm 0.5 -> 0.5 * 1 + 0.5 * 0.5 = 0.75
        assert!(((w[0] * w[0] + w[1] * w[1]).sqrt() - 0.75).abs() < 1e-6);
        assert!(parse(r#"{"kind":"unit_norm","axis":[2]}"#).check(&[2, 2], "dense/kernel").is_err());
    }
}
