//! An elementwise update over every variable as one flat range of elements: one loop on the
//! calling thread for a small model, one fork/join for all the variables of a large one
//! (never one per variable), cut where the element count halves, whatever the variables' sizes.
use crate::threads;

/// Below this many elements in all the variables together, an update runs on the calling
/// thread: a fork/join costs more than it saves. Measured with `cargo bench --bench optimizer`
/// (Adam, about 0.35 ns an element on one thread; 2 cores, loaded machine, every size split vs
/// KILN_NUM_THREADS=1, 3 rounds): split, 16K parameters took 6.3-7.1 us against 5.2-6.2 on one
/// thread, 32K and 48K were level, 64K took 20.5-25.6 us against 23.9-28.5, and the seed MLP's
/// 101,770 took 31.9-34.3 against 35.2-38.9.
pub const PARALLEL_MIN_ELEMENTS: usize = 1 << 16;

/// Cuts fall on multiples of this many elements (a 64-byte line of f32), so two threads
/// rarely write one cache line.
const CUT_ALIGN: usize = 16;

/// A variable's part of an elementwise update: its slices, which can be cut at an element.
pub trait Piece: Sized + Send {
    fn len(&self) -> usize;
    /// The first `at` elements and the rest.
    fn split_at(self, at: usize) -> (Self, Self);
}

/// Runs `f` over `pieces` as one flat range: on the calling thread below
/// `PARALLEL_MIN_ELEMENTS`, else in one part per pool thread of about equal length.
pub fn for_each_part<P: Piece>(pieces: Vec<P>, f: &(impl Fn(P) + Sync)) {
    let total: usize = pieces.iter().map(Piece::len).sum();
    let parts = if total < PARALLEL_MIN_ELEMENTS { 1 } else { threads::num_threads().min(total / CUT_ALIGN).max(1) };
    run_parts(pieces, total, parts, f);
}

fn run_parts<P: Piece>(pieces: Vec<P>, total: usize, parts: usize, f: &(impl Fn(P) + Sync)) {
    if parts <= 1 {
        pieces.into_iter().for_each(f);
        return;
    }
    let left_parts = parts / 2;
    let cut = (total * left_parts / parts) / CUT_ALIGN * CUT_ALIGN;
    let (left, right) = cut_pieces(pieces, cut);
    rayon::join(|| run_parts(left, cut, left_parts, f), || run_parts(right, total - cut, parts - left_parts, f));
}

/// The pieces holding the first `cut` elements of the flat range, and those holding the rest
/// (the piece that straddles the cut is split; no piece is empty).
fn cut_pieces<P: Piece>(pieces: Vec<P>, cut: usize) -> (Vec<P>, Vec<P>) {
    let (mut left, mut right) = (Vec::new(), Vec::new());
    let mut start = 0;
    for piece in pieces {
        let len = piece.len();
        if start + len <= cut {
            left.push(piece);
        } else if start >= cut {
            right.push(piece);
        } else {
            let (a, b) = piece.split_at(cut - start);
            left.push(a);
            right.push(b);
        }
        start += len;
    }
    (left, right)
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Piece for &mut [f32] {
        fn len(&self) -> usize {
            <[f32]>::len(self)
        }
        fn split_at(self, at: usize) -> (Self, Self) {
            self.split_at_mut(at)
        }
    }

    #[test]
    fn cuts_keep_every_element_once_in_order() {
        let mut a: Vec<f32> = (0..10).map(|i| i as f32).collect();
        let mut b: Vec<f32> = (10..13).map(|i| i as f32).collect();
        let mut c: Vec<f32> = (13..40).map(|i| i as f32).collect();
        for cut in [0, 5, 10, 12, 13, 20, 40] {
            let (left, right) = cut_pieces(vec![&mut a[..], &mut b[..], &mut c[..]], cut);
            let flat = |pieces: &[&mut [f32]]| pieces.iter().flat_map(|p| p.iter().copied()).collect::<Vec<f32>>();
            assert_eq!(flat(&left), (0..cut).map(|i| i as f32).collect::<Vec<_>>(), "cut {cut}");
            assert_eq!(flat(&right), (cut..40).map(|i| i as f32).collect::<Vec<_>>(), "cut {cut}");
            assert!(left.iter().chain(&right).all(|p| !p.is_empty()));
        }
    }

    #[test]
    fn every_element_is_visited_once_above_and_below_the_threshold() {
        for sizes in [vec![3usize, 100, 7], vec![PARALLEL_MIN_ELEMENTS, 129, 1, PARALLEL_MIN_ELEMENTS / 3]] {
            let mut vars: Vec<Vec<f32>> = sizes.iter().map(|&n| vec![1.0; n]).collect();
            let pieces: Vec<&mut [f32]> = vars.iter_mut().map(|v| &mut v[..]).collect();
            threads::run(|| for_each_part(pieces, &|p: &mut [f32]| p.iter_mut().for_each(|x| *x += 1.0)));
            assert!(vars.iter().flatten().all(|&x| x == 2.0), "{sizes:?}");
        }
    }
}
