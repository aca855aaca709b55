//! Gradients of a scalar function traced into a graph (`kiln.valueAndGrad`): one forward and
//! one backward pass of the graph autodiff, seeded with d(value)/d(value) = 1, and no loss,
//! metric or optimizer step. The graph's leaves are variables (read in place) and inputs (the
//! concrete tensors the function used, each with its full shape).
use crate::error::{shape_str, KilnError, Result};
use crate::graph::{Graph, Op, Plan};
use crate::rng::{self, Rng};
use crate::tensor::Tensor;
use crate::variable::Variable;
use std::sync::RwLockWriteGuard;

/// The function's value and, for each variable asked about, its gradient (None where the
/// value does not depend on the variable), and the values of the graph's other outputs (JAX's
/// `has_aux`: numbers computed with the value, not differentiated).
pub struct ValueAndGrad {
    pub value: f32,
    pub grads: Vec<Option<Vec<f32>>>,
    pub aux: Vec<Tensor>,
}

/// Evaluates `graph`'s first output at `inputs` and differentiates it with respect to each
/// variable whose `wrt` flag is set. With `training`, dropout and noise are active and batch
/// normalisation uses (and moves its moving statistics toward) the batch's statistics.
pub fn value_and_grad(graph: &Graph, variables: &[Variable], wrt: &[bool], inputs: &[&Tensor], training: bool) -> Result<ValueAndGrad> {
    if wrt.len() != variables.len() {
        return Err(KilnError::value(format!("{} variables but {} gradient flags", variables.len(), wrt.len())));
    }
    let Some(&out) = graph.outputs.first() else {
        return Err(KilnError::value("A gradient graph needs an output (the value)"));
    };
    let n = graph.nodes.len();
    let mut needs_grad = vec![false; n];
    let mut input_nodes = vec![None; inputs.len()];
    for (id, node) in graph.nodes.iter().enumerate() {
        match &node.op {
            Op::Variable { index } => {
                let flag = wrt.get(*index).ok_or_else(|| KilnError::value(format!("Graph reads variable {index}, but only {} were given", variables.len())))?;
                needs_grad[id] = *flag;
            }
            Op::Input { index, shape } => {
                let given = inputs.get(*index).ok_or_else(|| KilnError::value(format!("Graph input index {index} is out of range: {} tensors were given", inputs.len())))?;
                let declared: Vec<usize> = shape.iter().map(|d| d.unwrap_or(usize::MAX)).collect();
                if given.shape() != declared.as_slice() {
                    return Err(KilnError::shape(format!("Graph input {index} ({}) is declared {:?} but the tensor given has shape {}", node.name, shape, shape_str(given.shape()))));
                }
                input_nodes[*index] = Some(id);
            }
            _ => needs_grad[id] = node.inputs.iter().any(|&i| needs_grad[i]),
        }
    }
    let variable_shapes: Vec<Vec<usize>> = variables.iter().map(|v| v.shape.clone()).collect();
    // Every input is declared with its whole concrete shape, so no per-sample lengths are needed.
    let mut plan = Plan::new(graph, 1, &[], &variable_shapes, &needs_grad, &[])?;
    if plan.shapes[out].iter().product::<usize>() != 1 {
        return Err(KilnError::value(format!("The value must be a scalar (one number) to be differentiated, got shape {}", shape_str(&plan.shapes[out]))));
    }
    for (tensor, node) in inputs.iter().zip(&input_nodes) {
        if let Some(node) = node {
            plan.values[*node].copy_from_slice(&tensor.to_f32());
        }
    }
    let mut rng = Rng::new(rng::with_global(|r| r.next_u64()));
    // Locked on the caller's thread (see Engine::train_weighted_batches); written only for
    // batch normalisation's moving statistics in training.
    let mut guards = lock_for_write(variables);
    let mut buffers: Vec<&mut Vec<f32>> = guards.iter_mut().map(|g| &mut **g).collect();
    crate::threads::run(|| {
        plan.forward(graph, &buffers, training, &mut rng);
        plan.take_failure()?;
        plan.zero_grads();
        if needs_grad[out] {
            plan.grads[out][0] = 1.0;
            plan.backward(graph, &buffers, &needs_grad, &vec![false; n]);
        }
        if training {
            plan.update_moving_statistics(graph, &mut buffers);
        }
        plan.final_rnn_states(graph, |index, values| buffers[index].copy_from_slice(values));
        Ok::<(), KilnError>(())
    })?;
    let value = plan.value_of(graph, &buffers, out)[0];
    let mut grads: Vec<Option<Vec<f32>>> = vec![None; variables.len()];
    for (id, node) in graph.nodes.iter().enumerate() {
        if let Op::Variable { index } = node.op {
            if !needs_grad[id] || !needs_grad[out] || !reaches(graph, id, out) {
                continue;
            }
            let g = &plan.grads[id];
            match &mut grads[index] {
                Some(sum) => sum.iter_mut().zip(g).for_each(|(s, v)| *s += v),
                slot => *slot = Some(g.clone()),
            }
        }
    }
    let aux = graph.outputs[1..].iter().map(|&o| Tensor::from_f32(plan.shapes[o].clone(), plan.value_of(graph, &buffers, o).to_vec())).collect::<Result<Vec<_>>>()?;
    Ok(ValueAndGrad { value, grads, aux })
}

/// Whether node `to` is computed from node `from`.
fn reaches(graph: &Graph, from: usize, to: usize) -> bool {
    let mut reached = vec![false; graph.nodes.len()];
    reached[from] = true;
    for id in from + 1..=to {
        reached[id] = graph.nodes[id].inputs.iter().any(|&i| reached[i]);
    }
    reached[to]
}

/// Locks each distinct variable in id order (so concurrent engines cannot deadlock).
fn lock_for_write(vars: &[Variable]) -> Vec<RwLockWriteGuard<'_, Vec<f32>>> {
    let mut order: Vec<usize> = (0..vars.len()).collect();
    order.sort_by_key(|&i| vars[i].id);
    let mut slots: Vec<Option<RwLockWriteGuard<Vec<f32>>>> = (0..vars.len()).map(|_| None).collect();
    for i in order {
        slots[i] = Some(vars[i].data.write().unwrap_or_else(|e| e.into_inner()));
    }
    slots.into_iter().map(|g| g.expect("every variable locked")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(json: &str) -> Graph {
        Graph::from_json(json).unwrap()
    }

    /// mean((x · w + b - y)²) for a Dense layer: the gradient is known in closed form.
    const DENSE_MSE: &str = r#"{"nodes":[
        {"op":"input","index":0,"shape":[3,2]},
        {"op":"variable","index":0},
        {"op":"matmul","transpose_b":false,"inputs":[0,1]},
        {"op":"variable","index":1},
        {"op":"binary","function":"add","inputs":[2,3]},
        {"op":"input","index":1,"shape":[3,1]},
        {"op":"binary","function":"sub","inputs":[4,5]},
        {"op":"unary","function":"square","inputs":[6]},
        {"op":"reduce","function":"mean","axis":null,"keep_dims":false,"inputs":[7]}],
      "outputs":[8]}"#;

    #[test]
    fn a_dense_layers_mse_has_the_hand_derived_gradient() {
        let x = Tensor::from_f32(vec![3, 2], vec![1.0, 2.0, -1.0, 0.5, 0.3, -0.7]).unwrap();
        let y = Tensor::from_f32(vec![3, 1], vec![0.2, -0.3, 1.0]).unwrap();
        let w = Variable::new(&Tensor::from_f32(vec![2, 1], vec![0.5, -0.4]).unwrap());
        let b = Variable::new(&Tensor::from_f32(vec![1], vec![0.1]).unwrap());
        let r = value_and_grad(&graph(DENSE_MSE), &[w, b], &[true, true], &[&x, &y], false).unwrap();
        let (xs, ys) = (x.to_f32(), y.to_f32());
        let residual: Vec<f32> = (0..3).map(|i| xs[2 * i] * 0.5 + xs[2 * i + 1] * -0.4 + 0.1 - ys[i]).collect();
        let value: f32 = residual.iter().map(|r| r * r).sum::<f32>() / 3.0;
        // d/dw_j = 2/n Σ r_i x_ij; d/db = 2/n Σ r_i.
        let dw: Vec<f32> = (0..2).map(|j| 2.0 / 3.0 * (0..3).map(|i| residual[i] * xs[2 * i + j]).sum::<f32>()).collect();
        let db = 2.0 / 3.0 * residual.iter().sum::<f32>();
        assert!((r.value - value).abs() < 1e-6);
        let gw = r.grads[0].as_ref().unwrap();
        assert!((gw[0] - dw[0]).abs() < 1e-6 && (gw[1] - dw[1]).abs() < 1e-6, "{gw:?} vs {dw:?}");
        assert!((r.grads[1].as_ref().unwrap()[0] - db).abs() < 1e-6);
    }

    #[test]
    fn gradients_match_finite_differences_and_skip_unused_variables() {
        // sum(tanh(x · w) * w2) with w2 used twice (summed gradients) and an unused variable.
        let g = graph(
            r#"{"nodes":[
            {"op":"input","index":0,"shape":[2,3]},
            {"op":"variable","index":0},
            {"op":"matmul","transpose_b":false,"inputs":[0,1]},
            {"op":"unary","function":"tanh","inputs":[2]},
            {"op":"variable","index":1},
            {"op":"binary","function":"mul","inputs":[3,4]},
            {"op":"variable","index":1},
            {"op":"binary","function":"mul","inputs":[5,6]},
            {"op":"reduce","function":"sum","axis":null,"keep_dims":false,"inputs":[7]}],
          "outputs":[8]}"#,
        );
        let x = Tensor::from_f32(vec![2, 3], vec![0.3, -0.2, 0.9, 1.1, 0.4, -0.6]).unwrap();
        let vars = [
            Variable::new(&Tensor::from_f32(vec![3, 2], vec![0.2, -0.5, 0.7, 0.1, -0.3, 0.4]).unwrap()),
            Variable::new(&Tensor::from_f32(vec![2], vec![0.8, -1.2]).unwrap()),
            Variable::new(&Tensor::from_f32(vec![1], vec![3.0]).unwrap()),
        ];
        let r = value_and_grad(&g, &vars, &[true, true, true], &[&x], false).unwrap();
        assert!(r.grads[2].is_none(), "the value does not depend on variable 2");
        for (k, v) in vars.iter().take(2).enumerate() {
            for i in 0..v.shape.iter().product::<usize>() {
                let at = |d: f32| {
                    v.data.write().unwrap()[i] += d;
                    let value = value_and_grad(&g, &vars, &[false, false, false], &[&x], false).unwrap().value;
                    v.data.write().unwrap()[i] -= d;
                    value as f64
                };
                let numeric = (at(1e-2) - at(-1e-2)) / 2e-2;
                let analytic = r.grads[k].as_ref().unwrap()[i] as f64;
                assert!((numeric - analytic).abs() < 1e-3 * (1.0 + numeric.abs()), "var {k}[{i}]: {analytic} vs {numeric}");
            }
        }
        let mut with_aux = g.clone();
        with_aux.outputs.push(3);
        let r2 = value_and_grad(&with_aux, &vars, &[true, true, true], &[&x], false).unwrap();
        assert_eq!(r2.aux[0].shape(), &[2, 2]);
        assert_eq!(r2.grads[0], r.grads[0], "an aux output changes no gradient");
        let not_asked = value_and_grad(&g, &vars, &[false, true, false], &[&x], false).unwrap();
        assert!(not_asked.grads[0].is_none() && not_asked.grads[1].is_some());
    }

    #[test]
    fn a_non_scalar_value_or_a_wrong_input_is_refused() {
        let g = graph(r#"{"nodes":[{"op":"input","index":0,"shape":[2]},{"op":"variable","index":0},{"op":"binary","function":"mul","inputs":[0,1]}],"outputs":[2]}"#);
        let x = Tensor::from_f32(vec![2], vec![1.0, 2.0]).unwrap();
        let w = Variable::new(&Tensor::from_f32(vec![2], vec![1.0, 1.0]).unwrap());
        let err = value_and_grad(&g, std::slice::from_ref(&w), &[true], &[&x], false).err().unwrap();
        assert!(err.message.contains("scalar") && err.message.contains("[2]"), "{}", err.message);
        let wide = Tensor::from_f32(vec![3], vec![1.0, 2.0, 3.0]).unwrap();
        assert!(value_and_grad(&g, &[w], &[true], &[&wide], false).is_err());
    }
}
