//! One graph op run on concrete tensors: eager calls of ops that have no eager function of
//! their own (recurrent layers with masks or states, slices, flips) reuse the graph's kernels.
use super::{Graph, Node, Op, Plan};
use crate::error::{KilnError, Result};
use crate::rng::Rng;
use crate::tensor::Tensor;

/// Runs the op described by `op_json` (a graph node without its inputs) on `inputs`, in
/// inference mode.
pub fn run_op(op_json: &str, inputs: &[&Tensor]) -> Result<Tensor> {
    let op: Op = serde_json::from_str(op_json).map_err(|e| KilnError::value(format!("Invalid op description: {e}")))?;
    let name = "op".to_string();
    if op.arity().is_some_and(|n| n != inputs.len()) || inputs.is_empty() || matches!(op, Op::Input { .. } | Op::Variable { .. }) {
        return Err(KilnError::value(format!("{op:?} cannot run on {} input(s)", inputs.len())));
    }
    let batch = inputs[0].shape().first().copied().ok_or_else(|| KilnError::shape("the first input needs a batch axis"))?;
    let mut nodes: Vec<Node> = inputs
        .iter()
        .enumerate()
        .map(|(index, t)| Node { op: Op::Input { index, shape: t.shape().iter().map(|&d| Some(d)).collect() }, inputs: vec![], name: name.clone() })
        .collect();
    nodes.push(Node { op, inputs: (0..inputs.len()).collect(), name });
    let out = inputs.len();
    let graph = Graph { nodes, outputs: vec![out] };
    let mut plan = Plan::new(&graph, batch, &[], &vec![false; out + 1])?;
    for (i, t) in inputs.iter().enumerate() {
        plan.values[i] = t.to_f32().into_owned();
    }
    let no_variables: Vec<&Vec<f32>> = Vec::new();
    plan.forward(&graph, &no_variables, false, &mut Rng::new(0));
    Tensor::from_f32(plan.shapes[out].clone(), std::mem::take(&mut plan.values[out]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_a_graph_op_on_tensors() {
        let x = Tensor::from_f32(vec![2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let y = run_op(r#"{"op":"flip","axis":1}"#, &[&x]).unwrap();
        assert_eq!(y.shape(), [2, 3]);
        assert_eq!(y.to_f32().as_ref(), [3.0, 2.0, 1.0, 6.0, 5.0, 4.0]);
        assert!(run_op(r#"{"op":"flip","axis":1}"#, &[&x, &x]).is_err());
        assert!(run_op(r#"{"op":"slice","axis":1,"begin":2,"size":2}"#, &[&x]).is_err());
    }
}
