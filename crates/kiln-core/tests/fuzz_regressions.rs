//! Inputs the cargo fuzz targets (crates/kiln-core/fuzz) found, kept as regression tests: each
//! panicked (or, in release builds, silently computed with a wrapped size) before its fix.
use kiln_core::graph::Graph;
use kiln_core::{Engine, Tensor, Variable};

fn engine(spec: &str) -> kiln_core::Result<Engine> {
    Engine::new(spec, vec![])
}

/// engine_spec, first crash: Engine::new deserialized the graph without Graph::from_json's
/// checks, so a node reading a later node (5 of 2) indexed past `needs_grad`.
#[test]
fn an_engine_spec_whose_node_reads_a_later_node_is_refused() {
    let spec = r#"{"graph":{"nodes":[{"op":"input","index":0,"shape":[null,4,4],"name":"input 0"},{"op":"cumsum","axis":2,"inputs":[5],"name":"cumsum"}],"outputs":[1]},"trainable":[]}"#;
    let error = engine(spec).err().expect("refused");
    assert!(error.message.contains("reads node 5, which does not come before it"), "{}", error.message);
    // The same for arity and outputs, as from_json already checked them.
    let spec = r#"{"graph":{"nodes":[{"op":"input","index":0,"shape":[null,4]},{"op":"binary","function":"add","inputs":[0]}],"outputs":[1]},"trainable":[]}"#;
    assert!(engine(spec).err().expect("refused").message.contains("needs 2 inputs, got 1"));
    let spec = r#"{"graph":{"nodes":[{"op":"input","index":0,"shape":[null,4]}],"outputs":[3]},"trainable":[]}"#;
    assert!(engine(spec).err().expect("refused").message.contains("Graph output 3 is not a node"));
}

/// An input of rank 0 (no batch axis): planning and data checks read `shape[1..]`.
#[test]
fn an_input_without_a_batch_axis_is_refused() {
    let spec = r#"{"graph":{"nodes":[{"op":"input","index":0,"shape":[],"name":"x"}],"outputs":[0]},"trainable":[]}"#;
    assert!(engine(spec).err().expect("refused").message.contains("input of rank 0"));
    assert!(Graph::from_json(r#"{"nodes":[{"op":"input","index":0,"shape":[]}],"outputs":[0]}"#).is_err());
}

/// A tile whose output length wraps a machine word is an error, not a wrapped (small) buffer.
#[test]
fn a_tile_that_overflows_is_refused() {
    let spec = format!(r#"{{"graph":{{"nodes":[{{"op":"input","index":0,"shape":[null,3]}},{{"op":"tile","repeats":[1,{}],"inputs":[0]}}],"outputs":[1]}},"trainable":[]}}"#, usize::MAX / 2);
    let mut engine = engine(&spec).expect("the spec itself is valid");
    let error = engine.output_shapes(2).err().expect("refused when planned");
    assert!(error.message.contains("overflows"), "{}", error.message);
}

/// A model whose output is a scalar (a sum over everything) with a loss: the target width was
/// read from `shape[1..]` of a rank-0 shape.
#[test]
fn a_scalar_output_with_a_loss_is_an_error_not_a_panic() {
    let spec = r#"{"graph":{"nodes":[{"op":"input","index":0,"shape":[null,2]},{"op":"reduce","function":"sum","axis":null,"keep_dims":false,"inputs":[0]}],"outputs":[1]},
        "trainable":[],"losses":[{"output":0,"kind":"mean_squared_error"}]}"#;
    let mut engine = engine(spec).expect("valid spec");
    let x = Tensor::from_f32(vec![2, 2], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
    let y = Tensor::from_f32(vec![2], vec![0.0, 0.0]).unwrap();
    let _ = engine.check_data(&[&x], &[&y]);
    let _ = engine.evaluate_batches(&[&x], &[&y], 2, 0, 1);
    let _ = Variable::new(&x);
}
