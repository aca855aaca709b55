//! Loss terms computed by graph nodes: regularization penalties (weights and activities) and
//! custom loss functions traced with kiln.ops. Each adds its value to the batch's loss and
//! seeds its node's gradient before the backward pass.
use super::reduction::{divide_no_nan, Reduction};
use crate::graph::{Graph, Plan};
use serde::Deserialize;
use std::ops::Deref;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum TermKind {
    /// The node's values summed, added as they are (weight regularizers).
    #[default]
    Penalty,
    /// Summed and divided by the batch size (activity regularizers, as Keras 3).
    BatchPenalty,
    /// Per-sample loss values [batch, ...]: sample-weighted, then reduced (custom losses).
    /// A scalar node is taken as the batch's loss as it is.
    SampleLoss,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LossTerm {
    pub node: usize,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub kind: TermKind,
    #[serde(default = "super::spec::one")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub weight: f32,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub reduction: Reduction,
    /// The output whose loss this is (a custom loss function), for its `<output>_loss` log.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub output: Option<usize>,
}

/// Adds every term to the loss; with `with_grad`, adds d(loss)/d(node) to each node's
/// gradient. Returns each term's batch loss times the batch size, before its weight (a custom
/// loss is logged as its output's loss unweighted, as Keras logs it).
pub fn seed_terms<V: Deref<Target = Vec<f32>>>(plan: &mut Plan, graph: &Graph, vars: &[V], terms: &[LossTerm], sample_weights: Option<&[f32]>, with_grad: bool) -> Vec<f64> {
    let rows = plan.batch;
    let mut unweighted = Vec::with_capacity(terms.len());
    for term in terms {
        let scalar = plan.shapes[term.node].is_empty();
        let values = plan.value_of(graph, vars, term.node);
        // The batch's loss from this term at weight 1, and the gradient of each value (a row factor).
        let (loss, grad_of_row): (f64, Box<dyn Fn(usize) -> f64>) = match term.kind {
            TermKind::Penalty => (values.iter().map(|&v| v as f64).sum::<f64>(), Box::new(|_| 1.0)),
            TermKind::BatchPenalty => {
                let scale = divide_no_nan(1.0, rows as f64);
                (values.iter().map(|&v| v as f64).sum::<f64>() * scale, Box::new(move |_| scale))
            }
            // Keras returns an unweighted scalar as it is; weights broadcast it over the batch.
            TermKind::SampleLoss if scalar => {
                let scale = match sample_weights {
                    Some(w) => {
                        let sum: f64 = w.iter().map(|&v| v as f64).sum();
                        divide_no_nan(sum, term.reduction.divisor(rows, Some(sum)))
                    }
                    None => 1.0,
                };
                (values[0] as f64 * scale, Box::new(move |_| scale))
            }
            TermKind::SampleLoss => {
                let width = values.len() / rows.max(1);
                let row_weight = |r: usize| sample_weights.map_or(1.0, |w| w[r] as f64);
                let sum: f64 = values.chunks(width.max(1)).enumerate().map(|(r, row)| row_weight(r) * row.iter().map(|&v| v as f64).sum::<f64>()).sum();
                let divisor = term.reduction.divisor(values.len(), sample_weights.map(|w| w.iter().map(|&v| v as f64).sum()));
                let scale = divide_no_nan(1.0, divisor);
                let weights: Vec<f64> = (0..rows).map(row_weight).collect();
                (sum * scale, Box::new(move |i| weights[i / width.max(1)] * scale))
            }
        };
        unweighted.push(loss * rows as f64);
        let weight = term.weight as f64;
        let grad = &mut plan.grads[term.node];
        if with_grad && !grad.is_empty() {
            grad.iter_mut().enumerate().for_each(|(i, g)| *g += (grad_of_row(i) * weight) as f32);
        }
    }
    unweighted
}

/// Keras' L1/L2 penalty `l1 * sum(|w|) + l2 * sum(w²)` on a variable, fused: one pass for the
/// value, one for the gradient (the graph-node form of the same penalty takes several).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WeightPenalty {
    pub variable: usize,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub l1: f32,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub l2: f32,
}

/// One penalty's value at `w`; with `grad`, adds its gradient `l1 * sign(w) + 2 * l2 * w`.
/// Eight independent lanes let the compiler vectorise the sums.
fn penalize(p: &WeightPenalty, w: &[f32], grad: Option<&mut [f32]>) -> f64 {
    const LANES: usize = 8;
    let (mut abs, mut squares) = ([0.0f32; LANES], [0.0f32; LANES]);
    let chunks = w.chunks_exact(LANES);
    let tail = chunks.remainder();
    for chunk in chunks {
        for k in 0..LANES {
            abs[k] += chunk[k].abs();
            squares[k] += chunk[k] * chunk[k];
        }
    }
    let mut value = 0.0f64;
    for k in 0..LANES {
        value += p.l1 as f64 * abs[k] as f64 + p.l2 as f64 * squares[k] as f64;
    }
    value += tail.iter().map(|&v| p.l1 as f64 * v.abs() as f64 + p.l2 as f64 * (v * v) as f64).sum::<f64>();
    if let Some(grad) = grad {
        let twice_l2 = 2.0 * p.l2;
        if p.l1 == 0.0 {
            grad.iter_mut().zip(w).for_each(|(g, &v)| *g += twice_l2 * v);
        } else {
            // sign(0) = 0, as the derivative of |w| that Keras' backends use.
            grad.iter_mut().zip(w).for_each(|(g, &v)| *g += p.l1 * (((v > 0.0) as i32 - (v < 0.0) as i32) as f32) + twice_l2 * v);
        }
    }
    value
}

/// Every penalty at the weights in `vars` (before the update); with a `plan`, also adds their
/// gradients to the variables' (after the backward pass, which may overwrite rather than
/// accumulate). Returns their sum times the batch size (the logs' loss sum).
pub fn weight_penalties<V: Deref<Target = Vec<f32>>>(plan: Option<&mut Plan>, variable_nodes: &[Option<usize>], vars: &[V], penalties: &[WeightPenalty], rows: usize) -> f64 {
    let mut total = 0.0;
    let mut plan = plan;
    for p in penalties {
        let grad = match (plan.as_deref_mut(), variable_nodes[p.variable]) {
            (Some(plan), Some(node)) if !plan.grads[node].is_empty() => Some(plan.grads[node].as_mut_slice()),
            _ => None,
        };
        total += penalize(p, &vars[p.variable], grad);
    }
    total * rows as f64
}

#[cfg(test)]
mod tests {
    use crate::engine::{BatchData, BatchRange, Engine};
    use crate::tensor::Tensor;
    use crate::variable::Variable;

    /// x [null, 2] · w [2, 2] with mse, sample weights and a penalty 0.3 * sum(w²) (node 4),
    /// an activity penalty sum(|x · w|) / batch (node 6) and a fused 0.05 |w| + 0.2 w².
    const SPEC: &str = r#"{"graph":{"nodes":[
        {"op":"input","index":0,"shape":[null,2]},
        {"op":"variable","index":0},
        {"op":"matmul","transpose_b":false,"inputs":[0,1]},
        {"op":"unary","function":"square","inputs":[1]},
        {"op":"reduce","function":"sum","axis":null,"keep_dims":false,"inputs":[3]},
        {"op":"unary","function":"abs","inputs":[2]},
        {"op":"reduce","function":"sum","axis":null,"keep_dims":false,"inputs":[5]}],
      "outputs":[2]},
      "trainable":[true],
      "losses":[{"output":0,"kind":"mean_squared_error"}],
      "loss_terms":[{"node":4,"kind":"penalty","weight":0.3},{"node":6,"kind":"batch_penalty"}],
      "weight_penalties":[{"variable":0,"l1":0.05,"l2":0.2}],
      "optimizer":{"kind":"sgd","momentum":0.0,"nesterov":false}}"#;

    #[test]
    fn penalties_and_sample_weights_train_down_their_finite_difference_gradient() {
        let w = Variable::new(&Tensor::from_f32(vec![2, 2], vec![0.5, -0.4, 0.3, 0.8]).unwrap());
        let x = Tensor::from_f32(vec![3, 2], vec![1.0, 2.0, -1.0, 0.5, 0.3, -0.7]).unwrap();
        let y = Tensor::from_f32(vec![3, 2], vec![0.2, 0.1, -0.3, 0.4, 1.0, 0.0]).unwrap();
        let weights = Tensor::from_f32(vec![3], vec![1.0, 0.0, 2.5]).unwrap();
        let mut engine = Engine::new(SPEC, vec![w.clone()]).unwrap();
        let loss = |engine: &mut Engine| engine.evaluate_batches(&BatchData::new(&[&x], &[&y]).weighted(Some(&weights)), BatchRange::new(3, 0, 1)).unwrap()[0][1] / 3.0;
        let before = w.read().to_f32().into_owned();
        let numeric: Vec<f64> = (0..4)
            .map(|i| {
                let bump = |d: f32| w.data.write().unwrap()[i] += d;
                bump(1e-2);
                let up = loss(&mut engine);
                bump(-2e-2);
                let down = loss(&mut engine);
                bump(1e-2);
                (up - down) / 2e-2
            })
            .collect();
        engine.train_batches(&BatchData::new(&[&x], &[&y]).weighted(Some(&weights)), &[0, 1, 2], BatchRange::new(3, 0, 1), &[1.0]).unwrap();
        let after = w.read().to_f32().into_owned();
        for i in 0..4 {
            let analytic = (before[i] - after[i]) as f64;
            assert!((analytic - numeric[i]).abs() < 2e-3, "w[{i}]: {analytic} vs {}", numeric[i]);
        }
    }
}
