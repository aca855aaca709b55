//! Sizes checked before they are allocated: an element count that overflows, or a buffer the
//! machine cannot reserve, becomes a `KilnError` naming the size instead of aborting the process.
use crate::error::{shape_str, KilnError, Result};
use std::sync::OnceLock;

/// The number of elements of `shape`, or a ValueError when the product overflows.
pub fn checked_element_count(shape: &[usize]) -> Result<usize> {
    shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d)).ok_or_else(|| KilnError::value(format!("The shape {} has more elements than this machine can address", shape_str(shape))))
}

/// The error for a buffer of `count` elements of `T` that cannot be reserved.
pub fn too_large<T>(count: usize, what: &str) -> KilnError {
    let bytes = (count as u128) * std::mem::size_of::<T>() as u128;
    KilnError::resource_exhausted(format!("{what}: cannot allocate {count} values ({}): out of memory", describe_bytes(bytes)))
}

fn describe_bytes(bytes: u128) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Physical memory plus swap, read once from /proc/meminfo (None where there is none): a buffer
/// larger than this could never be filled, whatever the kernel's overcommit policy lets the
/// allocator promise (with overcommit on, a 3 TB reservation succeeds and filling it kills the
/// process).
fn machine_bytes() -> Option<u128> {
    static MACHINE: OnceLock<Option<u128>> = OnceLock::new();
    *MACHINE.get_or_init(|| {
        let info = std::fs::read_to_string("/proc/meminfo").ok()?;
        let field = |name: &str| -> Option<u128> {
            let line = info.lines().find(|l| l.starts_with(name))?;
            line.split_whitespace().nth(1)?.parse::<u128>().ok().map(|kib| kib * 1024)
        };
        Some(field("MemTotal:")? + field("SwapTotal:").unwrap_or(0))
    })
}

/// Whether `bytes` can never fit in this machine's memory.
fn beyond_machine(bytes: u128) -> bool {
    machine_bytes().is_some_and(|total| bytes > total)
}

/// Checks that `bytes` could be reserved now (reserving and releasing them), so work that will
/// allocate that much in many small pieces fails with an error instead of aborting midway.
pub fn ensure_available(bytes: usize, what: &str) -> Result<()> {
    let mut probe: Vec<u8> = Vec::new();
    let reserved = if beyond_machine(bytes as u128) { Err(()) } else { probe.try_reserve_exact(bytes).map_err(|_| ()) };
    reserved.map_err(|_| KilnError::resource_exhausted(format!("{what}: needs about {} of memory: out of memory", describe_bytes(bytes as u128))))
}

/// An empty vector with room for `count` elements, or an error naming the size.
pub fn with_capacity<T>(count: usize, what: &str) -> Result<Vec<T>> {
    if beyond_machine(count as u128 * std::mem::size_of::<T>() as u128) {
        return Err(too_large::<T>(count, what));
    }
    let mut v = Vec::new();
    v.try_reserve_exact(count).map_err(|_| too_large::<T>(count, what))?;
    Ok(v)
}

/// `count` copies of `value`, or an error naming the size.
pub fn filled<T: Clone>(count: usize, value: T, what: &str) -> Result<Vec<T>> {
    let mut v = with_capacity(count, what)?;
    v.resize(count, value);
    Ok(v)
}

/// `count` float zeros, or an error naming the size. Zeroed by the allocator (fresh pages
/// cost nothing until written), as `vec![0.0; n]` is.
pub fn zeros(count: usize, what: &str) -> Result<Vec<f32>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if beyond_machine(count as u128 * 4) {
        return Err(too_large::<f32>(count, what));
    }
    let layout = std::alloc::Layout::array::<f32>(count).map_err(|_| too_large::<f32>(count, what))?;
    // SAFETY: the layout is Vec<f32>'s for capacity `count` (non-zero size), allocated by the
    // global allocator Vec uses; all-zero bits are 0.0f32, so all `count` values are initialised.
    unsafe {
        let ptr = std::alloc::alloc_zeroed(layout) as *mut f32;
        if ptr.is_null() {
            return Err(too_large::<f32>(count, what));
        }
        Ok(Vec::from_raw_parts(ptr, count, count))
    }
}

/// `count` values made by `next`, or an error naming the size.
pub fn from_fn<T>(count: usize, what: &str, mut next: impl FnMut() -> T) -> Result<Vec<T>> {
    let mut v = with_capacity(count, what)?;
    v.extend((0..count).map(|_| next()));
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflowing_shapes_are_refused() {
        assert_eq!(checked_element_count(&[2, 3, 4]).unwrap(), 24);
        assert_eq!(checked_element_count(&[]).unwrap(), 1);
        assert!(checked_element_count(&[65536, 65536, 65536, 65536]).is_err());
    }

    #[test]
    fn impossible_buffers_are_errors_not_aborts() {
        let e = zeros(usize::MAX / 2, "test").unwrap_err();
        assert!(e.message.contains("cannot allocate"), "{}", e.message);
        let e = zeros(1 << 50, "random.uniform").unwrap_err();
        assert_eq!(e.class_name(), "ResourceExhaustedError");
        assert!(e.message.contains("4.0 PiB") || e.message.contains("TiB"), "{}", e.message);
        assert_eq!(filled(3, 7u8, "x").unwrap(), vec![7, 7, 7]);
        assert_eq!(zeros(5, "x").unwrap(), vec![0.0; 5]);
        assert!(zeros(0, "x").unwrap().is_empty());
        let mut i = 0;
        assert_eq!(
            from_fn(3, "x", || {
                i += 1;
                i
            })
            .unwrap(),
            vec![1, 2, 3]
        );
    }
}
