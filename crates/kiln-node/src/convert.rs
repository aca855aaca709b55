//! Numbers from JavaScript, converted by one rule: a count, size or index must be a whole,
//! non-negative number no larger than 2^53 (JavaScript's exact integers), and a shape's
//! product must fit the machine. napi's own `u32`/`i32` conversions wrap and truncate
//! (2^32 + 1 becomes 1, -5 becomes 4294967291, 2.9 becomes 2): they are not used for them.
use crate::error::to_js;
use crate::error::Result;
use kiln_core::alloc::checked_element_count;
use kiln_core::KilnError;

/// 2^53: above it JavaScript numbers are no longer exact integers.
const MAX_EXACT: f64 = 9_007_199_254_740_992.0;

/// A whole number in [-2^53, 2^53] (axes, slice bounds, random bounds).
pub fn integer(value: f64, what: &str) -> Result<i64> {
    if !(value.is_finite() && value.fract() == 0.0 && value.abs() <= MAX_EXACT) {
        return Err(to_js(KilnError::value(format!("{what} must be an integer no larger than 2^53 in size, got {value}"))));
    }
    Ok(value as i64)
}

/// A whole number in [0, 2^53] (counts, sizes, indices).
pub fn count(value: f64, what: &str) -> Result<usize> {
    let n = integer(value, what)?;
    usize::try_from(n).map_err(|_| to_js(KilnError::value(format!("{what} must be a non-negative integer, got {value}"))))
}

/// A shape: each dimension a count, and their product addressable.
pub fn shape(dims: &[f64], what: &str) -> Result<Vec<usize>> {
    let shape = dims.iter().enumerate().map(|(i, &d)| count(d, &format!("{what}: dimension {i}"))).collect::<Result<Vec<_>>>()?;
    checked_element_count(&shape).map_err(to_js)?;
    Ok(shape)
}

/// A list of whole numbers (slice bounds, gather indices).
pub fn integers(values: &[f64], what: &str) -> Result<Vec<i64>> {
    values.iter().map(|&v| integer(v, what)).collect()
}

/// A shape for JavaScript (dimensions past 2^32 stay exact as doubles).
pub fn to_js_shape(shape: &[usize]) -> Vec<f64> {
    shape.iter().map(|&d| d as f64).collect()
}
