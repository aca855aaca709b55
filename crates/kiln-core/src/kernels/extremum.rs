//! Maximum and minimum as TensorFlow and numpy compute them: NaN wins. (`f32::max` returns
//! the other operand, so a NaN would vanish: relu(NaN) = 0, a NaN row predicting a uniform
//! softmax.)

/// The larger of `a` and `b`, NaN if either is NaN.
#[inline(always)]
pub fn maximum(a: f32, b: f32) -> f32 {
    if a > b || a.is_nan() {
        a
    } else if b.is_nan() {
        b
    } else {
        a.max(b)
    }
}

/// The smaller of `a` and `b`, NaN if either is NaN.
#[inline(always)]
pub fn minimum(a: f32, b: f32) -> f32 {
    if a < b || a.is_nan() {
        a
    } else if b.is_nan() {
        b
    } else {
        a.min(b)
    }
}

/// Whether `candidate` replaces `best` in a search for the largest value that keeps the
/// first NaN once found (numpy's argmax and max).
#[inline(always)]
pub fn beats(candidate: f32, best: f32) -> bool {
    !best.is_nan() && (candidate > best || candidate.is_nan())
}

/// `beats` for a search for the smallest value (numpy's argmin and min also keep the first NaN).
#[inline(always)]
pub fn beats_below(candidate: f32, best: f32) -> bool {
    !best.is_nan() && (candidate < best || candidate.is_nan())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_propagates_and_numbers_compare() {
        assert!(maximum(f32::NAN, 0.0).is_nan() && maximum(0.0, f32::NAN).is_nan());
        assert!(minimum(f32::NAN, 0.0).is_nan() && minimum(0.0, f32::NAN).is_nan());
        assert_eq!(maximum(2.0, -1.0), 2.0);
        assert_eq!(minimum(2.0, -1.0), -1.0);
        assert_eq!(maximum(f32::INFINITY, 1.0), f32::INFINITY);
        assert_eq!(minimum(f32::NEG_INFINITY, 1.0), f32::NEG_INFINITY);
        assert!(beats(f32::NAN, 5.0) && !beats(5.0, f32::NAN) && !beats(f32::NAN, f32::NAN));
        assert!(beats(2.0, 1.0) && !beats(1.0, 1.0));
    }
}
