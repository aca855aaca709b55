//! Every graph op's gradient, as the graph autodiff computes it, against central finite
//! differences of the same graph's forward pass. Each case is one op applied to small
//! variables; the value differentiated is sum(op(...) · c) for a fixed random c, so no
//! output's gradient can cancel another's. `op_name` matches every op without a wildcard, so
//! adding an op fails to compile until it is named here, and `every_op_has_a_case` then fails
//! until it has a case.
use kiln_core::gradients::value_and_grad;
use kiln_core::graph::{Graph, Node, Op};
use kiln_core::kernels::augment::{Augmentation, FillMode, Interpolation};
use kiln_core::kernels::binary::BinaryOp;
use kiln_core::kernels::conv::Padding;
use kiln_core::kernels::pool::PoolOp;
use kiln_core::kernels::reduce::ReduceOp;
use kiln_core::kernels::rnn::Cell;
use kiln_core::kernels::unary::UnaryOp;
use kiln_core::{rng, Tensor, Variable};
use std::sync::Mutex;

/// Values of one variable sit on a grid of this spacing (each argument's grid shifted by a
/// third of it), so a step of EPS never crosses a kink of relu, max, a comparison or a tie.
const SPACING: f32 = 0.03;
const EPS: f32 = 0.004;
/// Stochastic ops draw from the global generator: every run is reseeded to the same draws,
/// and runs are serialised because the tests of this file share that generator.
const SEED: u64 = 7;
static GENERATOR: Mutex<()> = Mutex::new(());

/// One operand of the op under test.
enum Arg {
    /// A differentiated variable with distinct values around 0.
    Var(Vec<usize>),
    /// A differentiated variable with distinct positive values (log, sqrt, divisors).
    Positive(Vec<usize>),
    /// A variable that is not differentiated (batch normalisation's moving statistics).
    Frozen(Vec<usize>, Vec<f32>),
    /// A constant (ids, masks, conditions).
    Fixed(Vec<usize>, Vec<f32>),
}

struct Case {
    label: String,
    op: Op,
    args: Vec<Arg>,
    training: bool,
}

fn case(label: impl Into<String>, op: Op, args: Vec<Arg>) -> Case {
    Case { label: label.into(), op, args, training: false }
}

fn training(label: impl Into<String>, op: Op, args: Vec<Arg>) -> Case {
    Case { label: label.into(), op, args, training: true }
}

fn var(shape: &[usize]) -> Arg {
    Arg::Var(shape.to_vec())
}

fn positive(shape: &[usize]) -> Arg {
    Arg::Positive(shape.to_vec())
}

/// A fixed scrambled order of 0..n: i -> (a·i + b) mod n with a coprime to n.
fn permutation(n: usize, salt: usize) -> Vec<usize> {
    let gcd = |mut a: usize, mut b: usize| {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    let a = (5 + 2 * salt..).find(|&a| gcd(a, n.max(1)) == 1).unwrap();
    (0..n).map(|i| (a * i + 3 * salt + 1) % n).collect()
}

fn grid_values(n: usize, position: usize, positive: bool) -> Vec<f32> {
    let shift = SPACING / 3.0 * (position % 3) as f32;
    permutation(n, position).into_iter().map(|p| if positive { 0.5 + p as f32 * SPACING + shift } else { (p as f32 - n as f32 / 2.0 + 0.5) * SPACING + shift }).collect()
}

/// Coefficients in (-1, 1) for the output, away from 0.
fn coefficients(n: usize) -> Vec<f32> {
    (0..n).map(|i| ((i * 37 + 11) % 19) as f32 / 10.0 - 0.9 + 0.05).collect()
}

fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

fn node(op: Op, inputs: Vec<usize>) -> Node {
    Node { op, inputs, name: "case".into() }
}

/// The graph of a case: its operands, the op, then (with coefficients) sum(op · c).
fn build(case: &Case, coefficients: Option<(&[usize], Vec<f32>)>) -> (Graph, Vec<bool>) {
    let mut nodes = Vec::new();
    let mut wrt = Vec::new();
    for arg in &case.args {
        let op = match arg {
            Arg::Var(_) | Arg::Positive(_) | Arg::Frozen(..) => {
                wrt.push(!matches!(arg, Arg::Frozen(..)));
                Op::Variable { index: wrt.len() - 1 }
            }
            Arg::Fixed(shape, values) => Op::Constant { shape: shape.clone(), values: values.clone() },
        };
        nodes.push(node(op, vec![]));
    }
    nodes.push(node(case.op.clone(), (0..case.args.len()).collect()));
    let y = nodes.len() - 1;
    let sum = |input| node(Op::Reduce { function: ReduceOp::Sum, axis: None, keep_dims: false }, vec![input]);
    match coefficients {
        Some((shape, values)) => {
            nodes.push(node(Op::Constant { shape: shape.to_vec(), values }, vec![]));
            nodes.push(node(Op::Binary { function: BinaryOp::Mul }, vec![y, y + 1]));
            nodes.push(sum(y + 2));
            (Graph { outputs: vec![y + 3], nodes }, wrt)
        }
        None => {
            nodes.push(sum(y));
            (Graph { outputs: vec![y + 1, y], nodes }, wrt)
        }
    }
}

fn variable_values(case: &Case) -> Vec<Vec<f32>> {
    case.args
        .iter()
        .enumerate()
        .filter_map(|(position, arg)| match arg {
            Arg::Var(shape) => Some(grid_values(numel(shape), position, false)),
            Arg::Positive(shape) => Some(grid_values(numel(shape), position, true)),
            Arg::Frozen(_, values) => Some(values.clone()),
            Arg::Fixed(..) => None,
        })
        .collect()
}

fn variable_shapes(case: &Case) -> Vec<Vec<usize>> {
    case.args
        .iter()
        .filter_map(|arg| match arg {
            Arg::Var(shape) | Arg::Positive(shape) | Arg::Frozen(shape, _) => Some(shape.clone()),
            Arg::Fixed(..) => None,
        })
        .collect()
}

fn run(graph: &Graph, shapes: &[Vec<usize>], values: &[Vec<f32>], wrt: &[bool], training: bool) -> kiln_core::gradients::ValueAndGrad {
    let variables: Vec<Variable> = shapes.iter().zip(values).map(|(s, v)| Variable::new(&Tensor::from_f32(s.clone(), v.clone()).unwrap())).collect();
    rng::set_global_seed(SEED);
    value_and_grad(graph, &variables, wrt, &[], training).unwrap_or_else(|e| panic!("{}", e.message))
}

/// Checks the autodiff gradient of every differentiated variable against central differences.
fn check(case: &Case) {
    let _serial = GENERATOR.lock().unwrap_or_else(|e| e.into_inner());
    let shapes = variable_shapes(case);
    let values = variable_values(case);
    let (probe, wrt) = build(case, None);
    let output = run(&probe, &shapes, &values, &wrt, case.training).aux.remove(0);
    let out_shape = output.shape().to_vec();
    let (graph, _) = build(case, Some((&out_shape, coefficients(numel(&out_shape)))));
    let analytic = run(&graph, &shapes, &values, &wrt, case.training).grads;
    for (v, flag) in wrt.iter().enumerate() {
        if !flag {
            continue;
        }
        let grad = analytic[v].clone().unwrap_or_else(|| vec![0.0; values[v].len()]);
        assert_eq!(grad.len(), values[v].len(), "{}: gradient {v} has the wrong length", case.label);
        for i in 0..values[v].len() {
            let at = |delta: f32| {
                let mut moved = values.to_vec();
                moved[v][i] += delta;
                run(&graph, &shapes, &moved, &wrt, case.training).value as f64
            };
            let numeric = (at(EPS) - at(-EPS)) / (2.0 * EPS as f64);
            let tolerance = 3e-3 + 2e-2 * numeric.abs();
            assert!((grad[i] as f64 - numeric).abs() <= tolerance, "{}: d/d(variable {v})[{i}] is {} by the autodiff but {numeric} by finite differences", case.label, grad[i]);
        }
    }
}

fn op_name(op: &Op) -> &'static str {
    match op {
        Op::Input { .. } => "input",
        Op::Variable { .. } => "variable",
        Op::Constant { .. } => "constant",
        Op::Matmul { .. } => "matmul",
        Op::Unary { .. } => "unary",
        Op::Binary { .. } => "binary",
        Op::Softmax => "softmax",
        Op::Dropout { .. } => "dropout",
        Op::Reshape { .. } => "reshape",
        Op::Reduce { .. } => "reduce",
        Op::Conv2d { .. } => "conv2d",
        Op::Conv2dTranspose { .. } => "conv2d_transpose",
        Op::Conv3d { .. } => "conv3d",
        Op::Conv3dTranspose { .. } => "conv3d_transpose",
        Op::Transpose { .. } => "transpose",
        Op::Pad { .. } => "pad",
        Op::Repeat { .. } => "repeat",
        Op::ResizeLinear { .. } => "resize_linear",
        Op::GaussianNoise { .. } => "gaussian_noise",
        Op::GaussianDropout { .. } => "gaussian_dropout",
        Op::BatchMatmul => "batch_matmul",
        Op::Pool2d { .. } => "pool2d",
        Op::Rnn { .. } => "rnn",
        Op::Slice { .. } => "slice",
        Op::Flip { .. } => "flip",
        Op::Concat { .. } => "concat",
        Op::Embedding => "embedding",
        Op::BatchNorm { .. } => "batch_norm",
        Op::Where => "where",
        Op::Tile { .. } => "tile",
        Op::Cumsum { .. } => "cumsum",
        Op::ArgReduce { .. } => "arg_reduce",
        Op::TopK { .. } => "top_k",
        Op::RandomNormal { .. } => "random_normal",
        Op::RandomUniform { .. } => "random_uniform",
        Op::Augment { .. } => "augment",
    }
}

/// Every op kind, for the coverage check (leaves are the operands of every case).
const OPS: [&str; 36] = [
    "input",
    "variable",
    "constant",
    "matmul",
    "unary",
    "binary",
    "softmax",
    "dropout",
    "reshape",
    "reduce",
    "conv2d",
    "conv2d_transpose",
    "conv3d",
    "conv3d_transpose",
    "transpose",
    "pad",
    "repeat",
    "resize_linear",
    "gaussian_noise",
    "gaussian_dropout",
    "batch_matmul",
    "pool2d",
    "rnn",
    "slice",
    "flip",
    "concat",
    "embedding",
    "batch_norm",
    "where",
    "tile",
    "cumsum",
    "arg_reduce",
    "top_k",
    "random_normal",
    "random_uniform",
    "augment",
];

const UNARY: [UnaryOp; 20] = [
    UnaryOp::Linear,
    UnaryOp::Relu,
    UnaryOp::Sigmoid,
    UnaryOp::Tanh,
    UnaryOp::Exp,
    UnaryOp::Log,
    UnaryOp::Square,
    UnaryOp::Sqrt,
    UnaryOp::Neg,
    UnaryOp::Abs,
    UnaryOp::Elu,
    UnaryOp::Selu,
    UnaryOp::Gelu,
    UnaryOp::Swish,
    UnaryOp::Softplus,
    UnaryOp::Softsign,
    UnaryOp::HardSigmoid,
    UnaryOp::LeakyRelu,
    UnaryOp::Relu6,
    UnaryOp::Erf,
];

const BINARY: [BinaryOp; 13] = [
    BinaryOp::Add,
    BinaryOp::Sub,
    BinaryOp::Mul,
    BinaryOp::Div,
    BinaryOp::Maximum,
    BinaryOp::Minimum,
    BinaryOp::NotEqual,
    BinaryOp::Equal,
    BinaryOp::Greater,
    BinaryOp::GreaterEqual,
    BinaryOp::Less,
    BinaryOp::LessEqual,
    BinaryOp::Power,
];

const REDUCE: [ReduceOp; 5] = [ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min, ReduceOp::Prod];

/// Fails to compile when a function is added to one of the lists above without being listed.
#[allow(dead_code)]
fn listed(unary: UnaryOp, binary: BinaryOp, reduce: ReduceOp) {
    match unary {
        UnaryOp::Linear | UnaryOp::Relu | UnaryOp::Sigmoid | UnaryOp::Tanh | UnaryOp::Exp | UnaryOp::Log | UnaryOp::Square | UnaryOp::Sqrt | UnaryOp::Neg | UnaryOp::Abs => {}
        UnaryOp::Elu | UnaryOp::Selu | UnaryOp::Gelu | UnaryOp::Swish | UnaryOp::Softplus | UnaryOp::Softsign | UnaryOp::HardSigmoid | UnaryOp::LeakyRelu | UnaryOp::Relu6 | UnaryOp::Erf => {}
    }
    match binary {
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Maximum | BinaryOp::Minimum | BinaryOp::Power => {}
        BinaryOp::NotEqual | BinaryOp::Equal | BinaryOp::Greater | BinaryOp::GreaterEqual | BinaryOp::Less | BinaryOp::LessEqual => {}
    }
    match reduce {
        ReduceOp::Sum | ReduceOp::Mean | ReduceOp::Max | ReduceOp::Min | ReduceOp::Prod => {}
    }
}

fn elementwise_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for function in UNARY {
        let x = if matches!(function, UnaryOp::Log | UnaryOp::Sqrt) { positive(&[2, 5]) } else { var(&[2, 5]) };
        cases.push(case(format!("unary {function:?}"), Op::Unary { function }, vec![x]));
    }
    for function in BINARY {
        let b = |shape: &[usize]| if matches!(function, BinaryOp::Div) { positive(shape) } else { var(shape) };
        let a = |shape: &[usize]| if matches!(function, BinaryOp::Power) { positive(shape) } else { var(shape) };
        cases.push(case(format!("binary {function:?}"), Op::Binary { function }, vec![a(&[2, 3]), b(&[2, 3])]));
        cases.push(case(format!("binary {function:?} broadcast"), Op::Binary { function }, vec![a(&[2, 1, 3]), b(&[4, 1])]));
    }
    cases.push(case("softmax", Op::Softmax, vec![var(&[3, 4])]));
    let condition = Arg::Fixed(vec![2, 3], vec![1.0, 0.0, 0.0, 1.0, 1.0, 0.0]);
    cases.push(case("where", Op::Where, vec![condition, var(&[2, 3]), var(&[3])]));
    cases
}

fn shape_cases() -> Vec<Case> {
    let mut cases = vec![
        case("matmul", Op::Matmul { transpose_b: false }, vec![var(&[2, 3]), var(&[3, 4])]),
        case("matmul rank 3", Op::Matmul { transpose_b: false }, vec![var(&[2, 2, 3]), var(&[3, 4])]),
        case("matmul transpose_b", Op::Matmul { transpose_b: true }, vec![var(&[2, 3]), var(&[4, 3])]),
        case("batch_matmul", Op::BatchMatmul, vec![var(&[2, 3, 4]), var(&[2, 4, 2])]),
        case("batch_matmul rank 4", Op::BatchMatmul, vec![var(&[2, 2, 2, 3]), var(&[2, 2, 3, 2])]),
        case("reshape", Op::Reshape { shape: vec![3, -1], keep_batch: true, copy_axes: vec![] }, vec![var(&[2, 6])]),
        case("reshape whole", Op::Reshape { shape: vec![4, 3], keep_batch: false, copy_axes: vec![] }, vec![var(&[2, 6])]),
        case("transpose", Op::Transpose { perm: vec![2, 0, 1] }, vec![var(&[2, 3, 4])]),
        case("pad and crop", Op::Pad { paddings: vec![[0, 0], [1, 2], [2, -1]] }, vec![var(&[2, 3, 4])]),
        case("repeat", Op::Repeat { repeats: vec![1, 2, 3] }, vec![var(&[2, 3, 2])]),
        case("resize_linear", Op::ResizeLinear { factors: vec![1, 2, 2, 1] }, vec![var(&[1, 3, 3, 2])]),
        case("slice", Op::Slice { axis: 1, begin: 1, size: 2 }, vec![var(&[2, 4, 2])]),
        case("slice negative axis", Op::Slice { axis: -1, begin: 0, size: 2 }, vec![var(&[2, 3])]),
        case("flip", Op::Flip { axis: 1 }, vec![var(&[2, 3, 2])]),
        case("concat", Op::Concat { axis: 1 }, vec![var(&[2, 2]), var(&[2, 3]), var(&[2, 1])]),
        case("concat last axis", Op::Concat { axis: -1 }, vec![var(&[2, 2, 1]), var(&[2, 2, 2])]),
        case("tile", Op::Tile { repeats: vec![2, 1, 3] }, vec![var(&[1, 2, 2])]),
        case("cumsum", Op::Cumsum { axis: 1 }, vec![var(&[2, 4])]),
        case("cumsum first axis", Op::Cumsum { axis: 0 }, vec![var(&[3, 2])]),
        case("arg_reduce max", Op::ArgReduce { function: ReduceOp::Max, axis: 1 }, vec![var(&[3, 4])]),
        case("arg_reduce min", Op::ArgReduce { function: ReduceOp::Min, axis: 0 }, vec![var(&[3, 4])]),
        case("top_k values", Op::TopK { k: 2, indices: false }, vec![var(&[3, 5])]),
        case("top_k indices", Op::TopK { k: 3, indices: true }, vec![var(&[2, 4])]),
        case("embedding", Op::Embedding, vec![Arg::Fixed(vec![2, 3], vec![0.0, 4.0, 2.0, 2.0, 1.0, 0.0]), var(&[5, 3])]),
    ];
    for function in REDUCE {
        let x = if function == ReduceOp::Prod { positive(&[2, 3, 2]) } else { var(&[2, 3, 2]) };
        let x2 = if function == ReduceOp::Prod { positive(&[2, 3, 2]) } else { var(&[2, 3, 2]) };
        cases.push(case(format!("reduce {function:?} all"), Op::Reduce { function, axis: None, keep_dims: false }, vec![x]));
        cases.push(case(format!("reduce {function:?} axis 1 keep"), Op::Reduce { function, axis: Some(1), keep_dims: true }, vec![x2]));
    }
    cases
}

fn conv_cases() -> Vec<Case> {
    let conv2d = |strides, padding, dilation, groups| Op::Conv2d { strides, padding, dilation, groups };
    let conv3d = |strides, padding, dilation, groups| Op::Conv3d { strides, padding, dilation, groups };
    let pool = |function, pool, strides, padding| Op::Pool2d { function, pool, strides, padding };
    vec![
        case("conv2d same", conv2d([1, 1], Padding::Same, [1, 1], 1), vec![var(&[2, 5, 5, 3]), var(&[3, 3, 3, 4])]),
        case("conv2d one input channel", conv2d([1, 1], Padding::Valid, [1, 1], 1), vec![var(&[2, 6, 6, 1]), var(&[3, 3, 1, 4])]),
        case("conv2d strided valid", conv2d([2, 2], Padding::Valid, [1, 1], 1), vec![var(&[1, 7, 6, 2]), var(&[3, 2, 2, 3])]),
        case("conv2d strided same", conv2d([2, 1], Padding::Same, [1, 1], 1), vec![var(&[1, 5, 4, 2]), var(&[3, 3, 2, 2])]),
        case("conv2d dilated", conv2d([1, 1], Padding::Same, [2, 2], 1), vec![var(&[1, 6, 6, 2]), var(&[3, 3, 2, 2])]),
        case("conv2d 1x1", conv2d([1, 1], Padding::Valid, [1, 1], 1), vec![var(&[2, 3, 3, 4]), var(&[1, 1, 4, 3])]),
        case("conv2d groups", conv2d([1, 1], Padding::Valid, [1, 1], 2), vec![var(&[1, 4, 4, 4]), var(&[2, 2, 2, 4])]),
        case("conv2d depthwise", conv2d([1, 1], Padding::Same, [1, 1], 3), vec![var(&[2, 4, 4, 3]), var(&[3, 3, 1, 3])]),
        case("conv2d depthwise multiplier 2 strided", conv2d([2, 2], Padding::Same, [1, 1], 2), vec![var(&[1, 5, 5, 2]), var(&[3, 3, 1, 4])]),
        case("conv2d_transpose same strided", Op::Conv2dTranspose { strides: [2, 2], padding: Padding::Same, output_padding: None, dilation: [1, 1] }, vec![var(&[2, 3, 3, 2]), var(&[3, 3, 3, 2])]),
        case(
            "conv2d_transpose valid output_padding",
            Op::Conv2dTranspose { strides: [2, 2], padding: Padding::Valid, output_padding: Some([1, 0]), dilation: [1, 1] },
            vec![var(&[1, 2, 3, 2]), var(&[2, 2, 2, 2])],
        ),
        case("conv3d", conv3d([1, 1, 1], Padding::Valid, [1, 1, 1], 1), vec![var(&[1, 3, 4, 3, 2]), var(&[2, 2, 2, 2, 3])]),
        case("conv3d same strided groups", conv3d([2, 1, 2], Padding::Same, [1, 1, 1], 2), vec![var(&[1, 3, 3, 4, 2]), var(&[2, 2, 2, 1, 2])]),
        case("conv3d_transpose", Op::Conv3dTranspose { strides: [2, 1, 2], padding: Padding::Same, output_padding: None, dilation: [1, 1, 1] }, vec![var(&[1, 2, 2, 2, 2]), var(&[2, 2, 2, 3, 2])]),
        case("max pool", pool(PoolOp::Max, [2, 2], [2, 2], Padding::Valid), vec![var(&[2, 4, 5, 2])]),
        case("max pool same overlapping", pool(PoolOp::Max, [3, 3], [1, 1], Padding::Same), vec![var(&[1, 4, 4, 2])]),
        case("average pool", pool(PoolOp::Average, [2, 2], [2, 2], Padding::Valid), vec![var(&[2, 4, 4, 2])]),
        case("average pool same", pool(PoolOp::Average, [3, 3], [2, 2], Padding::Same), vec![var(&[1, 5, 5, 2])]),
    ]
}

fn rnn_op(cell: Cell, return_sequences: bool, go_backwards: bool) -> Op {
    Op::Rnn {
        cell,
        units: 3,
        activation: UnaryOp::Tanh,
        recurrent_activation: UnaryOp::Sigmoid,
        return_sequences,
        go_backwards,
        masked: false,
        return_state: false,
        zero_output_for_mask: false,
        initial_state: false,
        dropout: 0.0,
        recurrent_dropout: 0.0,
        stateful: false,
    }
}

fn rnn_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for cell in [Cell::Simple, Cell::Lstm, Cell::Gru] {
        let gu = cell.gates() * 3;
        let bias = if cell.bias_rows() == 1 { vec![gu] } else { vec![2, gu] };
        let weights = || vec![var(&[2, 4, 2]), var(&[2, gu]), var(&[3, gu]), var(&bias)];
        cases.push(case(format!("rnn {cell:?} last"), rnn_op(cell, false, false), weights()));
        cases.push(case(format!("rnn {cell:?} sequences backwards"), rnn_op(cell, true, true), weights()));
        let mut masked = rnn_op(cell, true, false);
        let mut with_states = rnn_op(cell, false, false);
        let mut dropped = rnn_op(cell, true, false);
        if let Op::Rnn { masked: m, zero_output_for_mask, .. } = &mut masked {
            (*m, *zero_output_for_mask) = (true, true);
        }
        if let Op::Rnn { initial_state, return_state, .. } = &mut with_states {
            (*initial_state, *return_state) = (true, true);
        }
        if let Op::Rnn { dropout, recurrent_dropout, .. } = &mut dropped {
            (*dropout, *recurrent_dropout) = (0.3, 0.4);
        }
        let mut args = weights();
        args.push(Arg::Fixed(vec![2, 4], vec![1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0]));
        cases.push(case(format!("rnn {cell:?} masked"), masked, args));
        let mut args = weights();
        args.extend((0..cell.state_count()).map(|_| var(&[2, 3])));
        cases.push(case(format!("rnn {cell:?} initial and returned states"), with_states, args));
        cases.push(training(format!("rnn {cell:?} dropout and recurrent dropout"), dropped.clone(), weights()));
        cases.push(case(format!("rnn {cell:?} recurrent dropout at inference"), dropped, weights()));
    }
    cases
}

fn stochastic_and_normalisation_cases() -> Vec<Case> {
    let moving = |values: &[f32]| Arg::Frozen(vec![values.len()], values.to_vec());
    let batch_norm = |label: &str, training_mode: bool, inference: bool| {
        let args = vec![var(&[4, 3]), var(&[3]), var(&[3]), moving(&[0.1, -0.2, 0.05]), moving(&[0.5, 1.5, 0.8])];
        let op = Op::BatchNorm { epsilon: 1e-3, momentum: 0.99, inference };
        Case { label: format!("batch_norm {label}"), op, args, training: training_mode }
    };
    let augment = |label: &str, augmentation| training(format!("augment {label}"), Op::Augment { augmentation }, vec![var(&[2, 4, 5, 2])]);
    let fill = FillMode::Reflect;
    vec![
        batch_norm("training", true, false),
        batch_norm("at inference", false, false),
        batch_norm("not trainable, in training", true, true),
        training("dropout", Op::Dropout { rate: 0.4, shared_axes: vec![] }, vec![var(&[3, 4])]),
        training("dropout shared axis", Op::Dropout { rate: 0.5, shared_axes: vec![1] }, vec![var(&[2, 3, 2])]),
        case("dropout at inference", Op::Dropout { rate: 0.4, shared_axes: vec![] }, vec![var(&[3, 4])]),
        training("dropout of rate 0", Op::Dropout { rate: 0.0, shared_axes: vec![] }, vec![var(&[3, 4])]),
        case("gaussian_noise at inference", Op::GaussianNoise { stddev: 0.3 }, vec![var(&[2, 3])]),
        case("gaussian_dropout at inference", Op::GaussianDropout { rate: 0.3 }, vec![var(&[2, 3])]),
        case("augment at inference", Op::Augment { augmentation: Augmentation::Flip { horizontal: true, vertical: false } }, vec![var(&[2, 3, 3, 1])]),
        training("gaussian_noise", Op::GaussianNoise { stddev: 0.3 }, vec![var(&[2, 3])]),
        training("gaussian_dropout", Op::GaussianDropout { rate: 0.3 }, vec![var(&[2, 3])]),
        case("random_normal", Op::RandomNormal { shape: vec![Some(2), Some(3)], mean: 0.0, stddev: 1.0 }, vec![]),
        case("random_uniform", Op::RandomUniform { shape: vec![Some(3)], minval: -1.0, maxval: 1.0 }, vec![]),
        augment("flip", Augmentation::Flip { horizontal: true, vertical: true }),
        augment("rotation bilinear", Augmentation::Rotation { factor: [-0.2, 0.2], fill_mode: fill, interpolation: Interpolation::Bilinear, fill_value: 0.0 }),
        augment("rotation nearest", Augmentation::Rotation { factor: [-0.2, 0.2], fill_mode: FillMode::Constant, interpolation: Interpolation::Nearest, fill_value: 0.5 }),
        augment("zoom", Augmentation::Zoom { height: [-0.3, 0.3], width: None, fill_mode: FillMode::Wrap, interpolation: Interpolation::Bilinear, fill_value: 0.0 }),
        augment("translation", Augmentation::Translation { height: [-0.2, 0.2], width: [-0.3, 0.3], fill_mode: FillMode::Nearest, interpolation: Interpolation::Bilinear, fill_value: 0.0 }),
        augment("contrast", Augmentation::Contrast { factor: [0.5, 0.5], value_range: [-10.0, 10.0] }),
        augment("brightness", Augmentation::Brightness { factor: [-0.3, 0.3], value_range: [-10.0, 10.0] }),
        // A crop comes with its inference form (the centred resize), which it passes through at inference.
        training("augment crop", Op::Augment { augmentation: Augmentation::Crop { height: 3, width: 3 } }, vec![var(&[2, 4, 5, 2]), var(&[2, 3, 3, 2])]),
        case("augment crop at inference", Op::Augment { augmentation: Augmentation::Crop { height: 3, width: 3 } }, vec![var(&[2, 4, 5, 2]), var(&[2, 3, 3, 2])]),
    ]
}

fn all_cases() -> Vec<Case> {
    [elementwise_cases(), shape_cases(), conv_cases(), rnn_cases(), stochastic_and_normalisation_cases()].into_iter().flatten().collect()
}

#[test]
fn every_op_has_a_case() {
    let cases = all_cases();
    let leaves = ["input", "variable", "constant"];
    let missing: Vec<&str> = OPS.iter().copied().filter(|name| !leaves.contains(name) && !cases.iter().any(|c| op_name(&c.op) == *name)).collect();
    assert!(missing.is_empty(), "ops without a finite-difference case: {missing:?}");
}

#[test]
fn elementwise_op_gradients_match_finite_differences() {
    elementwise_cases().iter().for_each(check);
}

#[test]
fn shape_op_gradients_match_finite_differences() {
    shape_cases().iter().for_each(check);
}

#[test]
fn convolution_and_pooling_gradients_match_finite_differences() {
    conv_cases().iter().for_each(check);
}

#[test]
fn recurrent_gradients_match_finite_differences() {
    rnn_cases().iter().for_each(check);
}

#[test]
fn stochastic_and_normalisation_gradients_match_finite_differences() {
    stochastic_and_normalisation_cases().iter().for_each(check);
}
