use crate::error::{KilnError, Result};
use serde::Deserialize;

/// Keras' base-optimizer options, the same for every optimizer: gradient clipping (at most
/// one kind) and decoupled weight decay. The engine applies them around each update rule.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UpdateOptions {
    /// Each variable's gradient is rescaled so its L2 norm is at most this.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub clipnorm: Option<f32>,
    /// Gradient entries are clipped to [-clipvalue, clipvalue].
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub clipvalue: Option<f32>,
    /// All gradients are rescaled together so their joint L2 norm is at most this.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub global_clipnorm: Option<f32>,
    /// Before the update, w -= lr * weight_decay * w.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub weight_decay: Option<f32>,
}

/// A set, positive option value (Keras skips a clip set to 0).
fn positive(value: Option<f32>) -> Option<f32> {
    value.filter(|&v| v > 0.0)
}

impl UpdateOptions {
    pub fn check(&self) -> Result<()> {
        let clips = [self.clipnorm, self.clipvalue, self.global_clipnorm].iter().filter(|c| c.is_some()).count();
        if clips > 1 {
            return Err(KilnError::value(format!(
                "Only one of `clipnorm`, `clipvalue` and `globalClipnorm` can be set. Received: clipnorm={:?}, clipvalue={:?}, globalClipnorm={:?}",
                self.clipnorm, self.clipvalue, self.global_clipnorm
            )));
        }
        Ok(())
    }

    /// The factor every gradient is multiplied by under `global_clipnorm`, from all of them.
    pub fn global_scale<'a>(&self, grads: impl Iterator<Item = &'a [f32]>) -> Option<f32> {
        if positive(self.clipnorm).is_some() {
            return None; // Keras gives clipnorm precedence
        }
        let limit = positive(self.global_clipnorm)?;
        let squared: f64 = grads.flat_map(|g| g.iter()).map(|&v| v as f64 * v as f64).sum();
        let norm = squared.sqrt() as f32;
        if !norm.is_finite() {
            return Some(f32::NAN); // as Keras: an infinite or NaN gradient poisons every step
        }
        // limit * min(1 / norm, 1 / limit): a no-op below the limit.
        Some(limit * (1.0 / norm).min(1.0 / limit))
    }

    /// How one variable's gradient is clipped this step; `global` is `global_scale`'s answer.
    /// Under `clipnorm` this reads the gradient once for its norm.
    pub fn clip_rule(&self, grad: &[f32], global: Option<f32>) -> GradClip {
        if let Some(limit) = positive(self.clipnorm) {
            let norm = grad.iter().map(|&v| v as f64 * v as f64).sum::<f64>().sqrt() as f32;
            GradClip::Rescale { limit, denominator: norm.max(limit) }
        } else if let Some(scale) = global {
            GradClip::Scale(scale)
        } else if let Some(limit) = positive(self.clipvalue) {
            GradClip::Clamp(limit)
        } else {
            GradClip::None
        }
    }

    /// Clips one variable's gradient in place; `global` is `global_scale`'s answer.
    pub fn clip(&self, grad: &mut [f32], global: Option<f32>) {
        let rule = self.clip_rule(grad, global);
        if rule != GradClip::None {
            grad.iter_mut().for_each(|g| *g = rule.apply(*g));
        }
    }

    /// Decoupled weight decay, as Keras applies it before the update rule.
    pub fn decay(&self, param: &mut [f32], lr: f32) {
        if let Some(wd) = self.weight_decay {
            for w in param.iter_mut() {
                *w = decayed(*w, wd, lr);
            }
        }
    }
}

/// One weight after decoupled weight decay `wd` at learning rate `lr`: w - w * wd * lr.
#[inline(always)]
pub fn decayed(w: f32, wd: f32, lr: f32) -> f32 {
    w - w * wd * lr
}

/// What clipping does to each entry of one variable's gradient in one step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GradClip {
    None,
    /// `clipnorm`: g * limit / max(norm, limit).
    Rescale {
        limit: f32,
        denominator: f32,
    },
    /// `global_clipnorm`: g * the factor from every gradient's joint norm.
    Scale(f32),
    /// `clipvalue`: g clamped to [-limit, limit].
    Clamp(f32),
}

impl GradClip {
    #[inline(always)]
    pub fn apply(self, g: f32) -> f32 {
        match self {
            GradClip::None => g,
            GradClip::Rescale { limit, denominator } => g * limit / denominator,
            GradClip::Scale(scale) => g * scale,
            GradClip::Clamp(limit) => g.clamp(-limit, limit),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(json: &str) -> UpdateOptions {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn clipnorm_rescales_each_gradient_to_the_limit() {
        let mut g = vec![3.0, 4.0];
        options(r#"{"clipnorm": 1.0}"#).clip(&mut g, None);
        assert!((g[0] - 0.6).abs() < 1e-6 && (g[1] - 0.8).abs() < 1e-6, "{g:?}");
        let mut small = vec![0.3, 0.4];
        options(r#"{"clipnorm": 1.0}"#).clip(&mut small, None);
        assert_eq!(small, vec![0.3, 0.4]);
    }

    #[test]
    fn global_clipnorm_uses_the_joint_norm() {
        let o = options(r#"{"global_clipnorm": 2.5}"#);
        let (a, b) = (vec![3.0f32], vec![4.0f32]);
        let scale = o.global_scale([&a[..], &b[..]].into_iter()).unwrap();
        assert!((scale - 0.5).abs() < 1e-7);
        let mut b = b;
        o.clip(&mut b, Some(scale));
        assert_eq!(b, vec![2.0]);
        assert_eq!(o.global_scale([&[0.1f32][..]].into_iter()), Some(1.0));
    }

    #[test]
    fn clipvalue_and_weight_decay() {
        let mut g = vec![-3.0, 0.2, 7.0];
        options(r#"{"clipvalue": 0.5}"#).clip(&mut g, None);
        assert_eq!(g, vec![-0.5, 0.2, 0.5]);
        let mut w = vec![2.0, -1.0];
        options(r#"{"weight_decay": 0.1}"#).decay(&mut w, 0.5);
        assert_eq!(w, vec![1.9, -0.95]);
        assert!(options(r#"{"clipnorm": 1.0, "clipvalue": 1.0}"#).check().is_err());
    }
}
