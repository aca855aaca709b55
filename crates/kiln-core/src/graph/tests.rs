//! Building, validating and running graphs: every malformed node is refused with a message
//! that names it; a valid graph runs its nodes in topological order.
use super::*;
use crate::rng::Rng;

/// x [null, 2] -> (x + x) and (x * x) -> their difference: a diamond, nodes in order.
const DIAMOND: &str = r#"{"nodes":[
    {"op":"input","index":0,"shape":[null,2],"name":"x"},
    {"op":"binary","function":"add","inputs":[0,0],"name":"double"},
    {"op":"binary","function":"mul","inputs":[0,0],"name":"square"},
    {"op":"binary","function":"sub","inputs":[1,2],"name":"difference"}],
  "outputs":[3]}"#;

fn error_of(json: &str) -> String {
    Graph::from_json(json).unwrap_err().message
}

/// `DIAMOND` with node `id` replaced by `node`.
fn with_node(id: usize, node: &str) -> String {
    let nodes = [
        r#"{"op":"input","index":0,"shape":[null,2],"name":"x"}"#,
        r#"{"op":"binary","function":"add","inputs":[0,0],"name":"double"}"#,
        r#"{"op":"binary","function":"mul","inputs":[0,0],"name":"square"}"#,
        r#"{"op":"binary","function":"sub","inputs":[1,2],"name":"difference"}"#,
    ];
    let nodes: Vec<&str> = nodes.iter().enumerate().map(|(i, n)| if i == id { node } else { n }).collect();
    format!(r#"{{"nodes":[{}],"outputs":[3]}}"#, nodes.join(","))
}

#[test]
fn a_graph_is_built_with_its_inputs_and_readers_counted() {
    let graph = Graph::from_json(DIAMOND).unwrap();
    assert_eq!(graph.nodes.len(), 4);
    assert_eq!(graph.input_count(), 1);
    assert_eq!(graph.outputs, vec![3]);
    assert_eq!(graph.nodes[1].name, "double");
    assert!(matches!(graph.nodes[0].op, Op::Input { index: 0, .. }));
    // x is read twice by each of two nodes; the output counts as a reader.
    assert_eq!(graph.consumer_counts(), vec![4, 1, 1, 1]);
}

#[test]
fn a_planned_graph_runs_its_nodes_in_topological_order() {
    let graph = Graph::from_json(DIAMOND).unwrap();
    let no_vars: Vec<&Vec<f32>> = Vec::new();
    let mut plan = Plan::new(&graph, 3, &[vec![2]], &[], &[false; 4], &[]).unwrap();
    assert_eq!(plan.shapes, vec![vec![3, 2]; 4]);
    let x = [1.0, -2.0, 0.5, 3.0, 0.0, -1.5];
    plan.values[0].copy_from_slice(&x);
    plan.forward(&graph, &no_vars, false, &mut Rng::new(1));
    plan.take_failure().unwrap();
    let expected: Vec<f32> = x.iter().map(|v| 2.0 * v - v * v).collect();
    assert_eq!(plan.value_of(&graph, &no_vars, 3), &expected[..]);
    // Another batch size plans its own buffers from the same graph.
    assert_eq!(Plan::new(&graph, 5, &[vec![2]], &[], &[false; 4], &[]).unwrap().shapes[3], vec![5, 2]);
}

#[test]
fn an_engine_description_validates_its_graph() {
    let spec = with_node(3, r#"{"op":"binary","function":"sub","inputs":[1,3]}"#);
    let spec = format!(r#"{{"graph":{spec},"trainable":[]}}"#);
    let err = serde_json::from_str::<crate::engine::EngineSpec>(&spec).unwrap_err().to_string();
    assert!(err.contains("Graph node 3 reads node 3"), "{err}");
}

#[test]
fn every_malformed_node_is_refused_with_a_message_naming_it() {
    for (json, expected) in [
        (with_node(1, r#"{"op":"no_such_op","inputs":[0]}"#), "unknown variant `no_such_op`"),
        (with_node(1, r#"{"op":"binary","function":"no_such_function","inputs":[0,0]}"#), "unknown variant `no_such_function`"),
        (with_node(1, r#"{"op":"binary","inputs":[0,0]}"#), "missing field `function`"),
        (with_node(1, r#"{"op":"reduce","function":"sum","axis":"first","keep_dims":false,"inputs":[0]}"#), "invalid type"),
        (with_node(1, r#"{"op":"binary","function":"add","inputs":[0],"name":"double"}"#), "Graph node 1 (double) needs 2 inputs, got 1"),
        (with_node(1, r#"{"op":"softmax","inputs":[0,0]}"#), "Graph node 1 needs 1 inputs, got 2"),
        (with_node(1, r#"{"op":"concat","axis":0,"inputs":[]}"#), "needs at least 1 inputs, got 0"),
        (with_node(1, r#"{"op":"unary","function":"tanh","inputs":[9]}"#), "Graph node 1 reads node 9, the graph has 4 nodes"),
        (with_node(1, r#"{"op":"unary","function":"tanh","inputs":[1]}"#), "reads node 1, which does not come before it"),
        (with_node(1, r#"{"op":"unary","function":"tanh","inputs":[3]}"#), "reads node 3, which does not come before it (nodes must be in topological order, without cycles)"),
        (with_node(2, r#"{"op":"input","index":0,"shape":[null,2]}"#), "Graph node 2: model input 0 is declared twice"),
        (with_node(0, r#"{"op":"input","index":1,"shape":[null,2]}"#), "model input index 1 is out of range: the graph has 1 inputs"),
        (with_node(1, r#"{"op":"constant","shape":[2,2],"values":[1,2,3]}"#), "a constant of shape [2, 2] needs 4 values, got 3"),
        (DIAMOND.replace(r#""outputs":[3]"#, r#""outputs":[4]"#), "Graph output 4 is not a node"),
    ] {
        let message = error_of(&json);
        assert!(message.contains(expected), "expected {expected:?} in {message:?}");
        assert!(message.starts_with("Invalid graph description"), "{message}");
    }
}

#[test]
fn bad_attributes_are_refused_when_the_graph_is_planned() {
    for (node, expected) in [
        (r#"{"op":"transpose","perm":[0,0],"inputs":[0],"name":"t"}"#, "t: [0, 0] is not a permutation of the 2 axes"),
        (r#"{"op":"reduce","function":"sum","axis":5,"keep_dims":false,"inputs":[0],"name":"r"}"#, "r: axis 5 is out of range for a tensor of rank 2"),
        (r#"{"op":"slice","axis":1,"begin":1,"size":4,"inputs":[0],"name":"s"}"#, "s: slice [1, 5) is out of range"),
        (r#"{"op":"tile","repeats":[2],"inputs":[0],"name":"tile"}"#, "tile: tile needs one repeat count per axis"),
        (r#"{"op":"reshape","shape":[3],"keep_batch":true,"inputs":[0],"name":"reshape"}"#, "reshape: "),
    ] {
        let graph = Graph::from_json(&format!(r#"{{"nodes":[{{"op":"input","index":0,"shape":[null,2]}},{node}],"outputs":[1]}}"#)).unwrap();
        let message = Plan::new(&graph, 2, &[vec![2]], &[], &[false; 2], &[]).err().expect(node).message;
        assert!(message.contains(expected), "expected {expected:?} in {message:?}");
    }
}
