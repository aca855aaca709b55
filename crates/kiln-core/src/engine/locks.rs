//! Locking every variable of a run at once. Locks are taken on the caller's thread, never on
//! a pool thread: a pool thread waiting inside a parallel kernel may run another engine's
//! job, which must never wait for a lock held by the thread it runs on.
use crate::variable::Variable;
use std::ops::Deref;
use std::sync::{RwLockReadGuard, RwLockWriteGuard};

/// Locks every variable in id order (so concurrent engines cannot deadlock), returned in
/// the engine's order; None as soon as `lock` gives up on one (the locks taken so far are freed).
fn try_lock_all<'a, G>(vars: &'a [Variable], lock: impl Fn(usize, &'a Variable) -> Option<G>) -> Option<Vec<G>> {
    let mut order: Vec<usize> = (0..vars.len()).collect();
    order.sort_by_key(|&i| vars[i].id);
    let mut slots: Vec<Option<G>> = (0..vars.len()).map(|_| None).collect();
    for i in order {
        slots[i] = Some(lock(i, &vars[i])?);
    }
    Some(slots.into_iter().map(|g| g.unwrap()).collect())
}

fn lock_all<'a, G>(vars: &'a [Variable], lock: impl Fn(usize, &'a Variable) -> G) -> Vec<G> {
    try_lock_all(vars, |i, v| Some(lock(i, v))).expect("a waiting lock always succeeds")
}

pub fn lock_all_for_write(vars: &[Variable]) -> Vec<RwLockWriteGuard<'_, Vec<f32>>> {
    lock_all(vars, |_, v| v.data.write().unwrap_or_else(|e| e.into_inner()))
}

/// A lock on a variable that inference only reads, or also writes (a stateful RNN's states).
pub enum InferenceLock<'a> {
    Read(RwLockReadGuard<'a, Vec<f32>>),
    Write(RwLockWriteGuard<'a, Vec<f32>>),
}

/// Locks for evaluation and prediction: for writing where `written` says so, else for reading
/// (concurrent predictions of a model without state still share its weights).
pub fn lock_for_inference<'a>(vars: &'a [Variable], written: &[bool]) -> Vec<InferenceLock<'a>> {
    lock_all(vars, |i, v| if written[i] { InferenceLock::Write(v.data.write().unwrap_or_else(|e| e.into_inner())) } else { InferenceLock::Read(v.data.read().unwrap_or_else(|e| e.into_inner())) })
}

/// A locked variable's buffer as a run uses it (Send, unlike the guards, so it reaches the pool).
pub enum HeldVariable<'a> {
    Read(&'a Vec<f32>),
    Written(&'a mut Vec<f32>),
}

impl Deref for HeldVariable<'_> {
    type Target = Vec<f32>;
    fn deref(&self) -> &Vec<f32> {
        match self {
            HeldVariable::Read(v) => v,
            HeldVariable::Written(v) => v,
        }
    }
}

/// The buffers behind `locks`, in the same order.
pub fn held<'a>(locks: &'a mut [InferenceLock<'_>]) -> Vec<HeldVariable<'a>> {
    locks
        .iter_mut()
        .map(|lock| match lock {
            InferenceLock::Read(g) => HeldVariable::Read(g),
            InferenceLock::Write(g) => HeldVariable::Written(g),
        })
        .collect()
}

/// Writes the final states of the stateful RNNs in `plan`'s last forward pass into their variables.
pub fn carry_rnn_states(plan: &crate::graph::Plan, graph: &crate::graph::Graph, vars: &mut [HeldVariable<'_>]) {
    plan.final_rnn_states(graph, |index, values| {
        if let HeldVariable::Written(target) = &mut vars[index] {
            target.copy_from_slice(values);
        }
    });
}

/// As lock_for_inference, or None at once when a lock would wait (a fit holds a variable):
/// for callers that must not wait, as the event loop.
pub fn try_lock_for_inference<'a>(vars: &'a [Variable], written: &[bool]) -> Option<Vec<InferenceLock<'a>>> {
    fn taken<G>(attempt: std::sync::TryLockResult<G>) -> Option<G> {
        match attempt {
            Ok(guard) => Some(guard),
            Err(std::sync::TryLockError::Poisoned(e)) => Some(e.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }
    try_lock_all(vars, |i, v| if written[i] { taken(v.data.try_write()).map(InferenceLock::Write) } else { taken(v.data.try_read()).map(InferenceLock::Read) })
}
