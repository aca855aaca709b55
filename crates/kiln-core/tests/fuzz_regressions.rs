//! Inputs the cargo fuzz targets (crates/kiln-core/fuzz) found, kept as regression tests: each
//! panicked (or, in release builds, silently computed with a wrapped size) before its fix.
use kiln_core::engine::{BatchData, BatchRange};
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
    assert!(error.message.contains("reads node 5"), "{}", error.message);
    // The same for arity and outputs, as from_json already checked them.
    let spec = r#"{"graph":{"nodes":[{"op":"input","index":0,"shape":[null,4]},{"op":"binary","function":"add","inputs":[0]}],"outputs":[1]},"trainable":[]}"#;
    assert!(engine(spec).err().expect("refused").message.contains("needs 2 inputs, got 1"));
    let spec = r#"{"graph":{"nodes":[{"op":"input","index":0,"shape":[null,4]}],"outputs":[3]},"trainable":[]}"#;
    assert!(engine(spec).err().expect("refused").message.contains("Graph output 3 is not a node"));
}

/// An input of rank 0 (no batch axis) in a model: planning and data checks read `shape[1..]`.
/// (A gradient graph may have one: kiln.valueAndGrad passes whole tensors.)
#[test]
fn an_input_without_a_batch_axis_is_refused() {
    let spec = r#"{"graph":{"nodes":[{"op":"input","index":0,"shape":[],"name":"x"}],"outputs":[0]},"trainable":[]}"#;
    assert!(engine(spec).err().expect("refused").message.contains("a model input needs a batch axis"));
}

/// A tile whose output length wraps a machine word is an error, not a wrapped (small) buffer.
#[test]
fn a_tile_that_overflows_is_refused() {
    let spec = format!(r#"{{"graph":{{"nodes":[{{"op":"input","index":0,"shape":[null,3]}},{{"op":"tile","repeats":[1,{}],"inputs":[0]}}],"outputs":[1]}},"trainable":[]}}"#, usize::MAX / 2);
    let error = engine(&spec).err().expect("refused when planned");
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
    let (inputs, targets) = ([&x], [&y]);
    let _ = engine.evaluate_batches(&BatchData::new(&inputs, &targets), BatchRange::new(2, 0, 1));
    let _ = Variable::new(&x);
}

/// engine_spec: inputs numbered 1 and 2 with no input 0 left a hole (usize::MAX) in the
/// engine's input nodes, indexed when planning.
#[test]
fn an_engine_spec_with_a_missing_input_index_is_refused() {
    let spec = r#"{"graph":{"nodes":[{"op":"input","index":1,"shape":[null,2]},{"op":"input","index":1,"shape":[null,2]}],"outputs":[1]},"trainable":[]}"#;
    let error = engine(spec).err().expect("refused");
    // The graph's validation refuses it: model inputs are numbered 0..n once each.
    assert!(error.message.contains("model input 1 is declared twice"), "{}", error.message);
}

fn run(op: &str, inputs: &[&Tensor]) -> kiln_core::Result<Tensor> {
    kiln_core::ops::run_op(serde_json::from_str(op).unwrap(), inputs, "fuzzed")
}

fn zeros(shape: &[usize]) -> Tensor {
    Tensor::from_f32(shape.to_vec(), vec![0.0; shape.iter().product()]).unwrap()
}

/// op_geometry: an embedding table of width 0 split the output into chunks of 0 (a panic);
/// now the output is the empty [..ids, 0] it should be.
#[test]
fn an_embedding_of_width_zero_gives_an_empty_output() {
    let ids = Tensor::from_f32(vec![2, 3], vec![0.0, 1.0, 2.0, 1.0, 0.0, 2.0]).unwrap();
    let out = run(r#"{"op":"embedding"}"#, &[&ids, &zeros(&[3, 0])]).expect("runs");
    assert_eq!(out.shape(), &[2, 3, 0]);
}

/// op_geometry: an RNN of 0 units panicked in the kernel (rows of 0 gate values).
#[test]
fn an_rnn_of_zero_units_is_refused() {
    let op = r#"{"op":"rnn","cell":"lstm","units":0,"activation":"tanh","recurrent_activation":"sigmoid","return_sequences":false,"go_backwards":false}"#;
    let error = run(op, &[&zeros(&[1, 2, 3]), &zeros(&[3, 0]), &zeros(&[0, 0]), &zeros(&[0])]).expect_err("refused");
    assert!(error.message.contains("units must be a positive integer"), "{}", error.message);
}

/// op_geometry (two timeouts): flipping or concatenating an empty tensor whose other axes are
/// huge ([2**32, 0, 0, 0]) looped over them; a node with no output values is now skipped.
#[test]
fn ops_on_an_empty_tensor_with_huge_axes_answer_at_once() {
    let empty = Tensor::from_f32(vec![1 << 32, 0, 0, 0], vec![]).unwrap();
    let started = std::time::Instant::now();
    assert_eq!(run(r#"{"op":"flip","axis":0}"#, &[&empty]).expect("runs").shape(), &[1 << 32, 0, 0, 0]);
    assert_eq!(run(r#"{"op":"concat","axis":1}"#, &[&empty, &empty]).expect("runs").shape(), &[1 << 32, 0, 0, 0]);
    assert!(started.elapsed().as_secs() < 5);
}

/// op_geometry, on the merged tree: a reshape that keeps the batch axis, of a scalar (gradient
/// graphs take whole tensors, so a rank-0 input can reach it), read axis 0 of no axes.
#[test]
fn a_batch_keeping_reshape_of_a_scalar_is_refused() {
    let scalar = Tensor::from_f32(vec![], vec![1.0]).unwrap();
    let error = run(r#"{"op":"reshape","shape":[1],"keep_batch":true}"#, &[&scalar]).expect_err("refused");
    assert!(error.message.contains("needs an input with one"), "{}", error.message);
}

/// op_geometry, on the merged tree: paddings near i64's limits on an empty axis (before
/// i64::MIN, after -1) saturated to 0 in the size check but wrapped to i64::MAX when the taps
/// were planned (a capacity-overflow panic). Both now use checked arithmetic.
#[test]
fn paddings_that_overflow_are_refused() {
    let error = run(r#"{"op":"pad","paddings":[[-9223372036854775808,-1]]}"#, &[&zeros(&[0])]).expect_err("refused");
    assert!(error.message.contains("overflows"), "{}", error.message);
}

/// op_geometry, on the merged tree: a slice whose begin is near usize::MAX wrapped `begin +
/// size` below the axis length and passed the range test (then indexed far out of bounds).
#[test]
fn a_slice_whose_end_overflows_is_refused() {
    let error = run(&format!(r#"{{"op":"slice","axis":0,"begin":{},"size":9}}"#, usize::MAX - 6), &[&zeros(&[42])]).expect_err("refused");
    assert!(error.message.contains("out of range"), "{}", error.message);
}

/// op_geometry, on the merged tree: an RNN whose workspace ([steps + 1, batch, gates · units])
/// cannot exist was sized without a check (a capacity-overflow panic); it is refused.
#[test]
fn an_rnn_whose_workspace_cannot_exist_is_refused() {
    let op = r#"{"op":"rnn","cell":"simple","units":4,"activation":"tanh","recurrent_activation":"sigmoid","return_sequences":false,"go_backwards":false}"#;
    // 2**30 samples of 2**30 steps with no features: no input values, an impossible workspace.
    let (x, kernel, recurrent, bias) = (Tensor::from_f32(vec![1 << 30, 1 << 30, 0], vec![]).unwrap(), zeros(&[0, 4]), zeros(&[4, 4]), zeros(&[4]));
    assert!(run(op, &[&x, &kernel, &recurrent, &bias]).is_err());
}
