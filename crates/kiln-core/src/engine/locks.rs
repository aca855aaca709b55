//! Locking every variable of a run at once. Locks are taken on the caller's thread, never on
//! a pool thread: a pool thread waiting inside a parallel kernel may run another engine's
//! job, which must never wait for a lock held by the thread it runs on.
use crate::variable::Variable;
use std::sync::{RwLockReadGuard, RwLockWriteGuard};

/// Locks every variable in id order (so concurrent engines cannot deadlock), returned in
/// the engine's order.
fn lock_all<'a, G>(vars: &'a [Variable], lock: impl Fn(&'a Variable) -> G) -> Vec<G> {
    let mut order: Vec<usize> = (0..vars.len()).collect();
    order.sort_by_key(|&i| vars[i].id);
    let mut slots: Vec<Option<G>> = (0..vars.len()).map(|_| None).collect();
    for i in order {
        slots[i] = Some(lock(&vars[i]));
    }
    slots.into_iter().map(|g| g.unwrap()).collect()
}

pub fn lock_all_for_write(vars: &[Variable]) -> Vec<RwLockWriteGuard<'_, Vec<f32>>> {
    lock_all(vars, |v| v.data.write().unwrap_or_else(|e| e.into_inner()))
}

pub fn lock_all_for_read(vars: &[Variable]) -> Vec<RwLockReadGuard<'_, Vec<f32>>> {
    lock_all(vars, |v| v.data.read().unwrap_or_else(|e| e.into_inner()))
}

/// As lock_all_for_read, or None at once when a variable is being written (a fit holds it):
/// for callers that must not wait.
pub fn try_lock_all_for_read(vars: &[Variable]) -> Option<Vec<RwLockReadGuard<'_, Vec<f32>>>> {
    let mut order: Vec<usize> = (0..vars.len()).collect();
    order.sort_by_key(|&i| vars[i].id);
    let mut slots: Vec<Option<RwLockReadGuard<'_, Vec<f32>>>> = (0..vars.len()).map(|_| None).collect();
    for i in order {
        slots[i] = Some(match vars[i].data.try_read() {
            Ok(guard) => guard,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        });
    }
    Some(slots.into_iter().map(|g| g.unwrap()).collect())
}
