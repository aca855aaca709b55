//! Folded forward passes against the unfolded ones: convolution, depthwise convolution and
//! dense layers followed by batch norm and an activation, before and after a variable write.
use super::*;
use crate::graph::Plan;
use crate::rng::Rng;
use crate::tensor::Tensor;

/// Two inputs, x [null, 6, 6, 4] and v [null, 7], and five chains:
/// - conv 3×3 (4 → 5) + bias → BN → relu (folds, with its activation);
/// - depthwise 3×3 (multiplier 2, stride 2, a reshaped kernel) → BN → relu6 (folds);
/// - dense (7 → 6) with the bias added first → BN → swish (folds);
/// - dense with transpose_b (7 → 3) → BN, an output (folds, no activation);
/// - conv 1×1 (4 → 2) → BN, the conv's output also a model output (does not fold);
/// - conv 1×1 (4 → 3) → BN → relu → minimum(6, ·), Keras' ReLU(6.) (folds, as relu6).
const GRAPH: &str = r#"{"nodes":[
    {"op":"input","index":0,"shape":[null,6,6,4]},
    {"op":"variable","index":0},
    {"op":"conv2d","strides":[1,1],"padding":"valid","dilation":[1,1],"inputs":[0,1]},
    {"op":"variable","index":1},
    {"op":"binary","function":"add","inputs":[2,3]},
    {"op":"variable","index":2},{"op":"variable","index":3},{"op":"variable","index":4},{"op":"variable","index":5},
    {"op":"batch_norm","epsilon":0.001,"momentum":0.99,"inputs":[4,5,6,7,8]},
    {"op":"unary","function":"relu","inputs":[9]},
    {"op":"variable","index":6},
    {"op":"reshape","shape":[3,3,1,8],"keep_batch":false,"inputs":[11]},
    {"op":"conv2d","strides":[2,2],"padding":"same","dilation":[1,1],"groups":4,"inputs":[0,12]},
    {"op":"variable","index":7},{"op":"variable","index":8},{"op":"variable","index":9},{"op":"variable","index":10},
    {"op":"batch_norm","epsilon":0.001,"momentum":0.99,"inputs":[13,14,15,16,17]},
    {"op":"unary","function":"relu6","inputs":[18]},
    {"op":"input","index":1,"shape":[null,7]},
    {"op":"variable","index":11},
    {"op":"matmul","transpose_b":false,"inputs":[20,21]},
    {"op":"variable","index":12},
    {"op":"binary","function":"add","inputs":[23,22]},
    {"op":"variable","index":13},{"op":"variable","index":14},{"op":"variable","index":15},{"op":"variable","index":16},
    {"op":"batch_norm","epsilon":0.01,"momentum":0.99,"inputs":[24,25,26,27,28]},
    {"op":"unary","function":"swish","inputs":[29]},
    {"op":"variable","index":17},
    {"op":"matmul","transpose_b":true,"inputs":[20,31]},
    {"op":"variable","index":18},{"op":"variable","index":19},{"op":"variable","index":20},{"op":"variable","index":21},
    {"op":"batch_norm","epsilon":0.001,"momentum":0.99,"inputs":[32,33,34,35,36]},
    {"op":"variable","index":22},
    {"op":"conv2d","strides":[1,1],"padding":"valid","dilation":[1,1],"inputs":[0,38]},
    {"op":"variable","index":23},{"op":"variable","index":24},{"op":"variable","index":25},{"op":"variable","index":26},
    {"op":"batch_norm","epsilon":0.001,"momentum":0.99,"inputs":[39,40,41,42,43]},
    {"op":"variable","index":27},
    {"op":"conv2d","strides":[1,1],"padding":"valid","dilation":[1,1],"inputs":[0,45]},
    {"op":"variable","index":28},{"op":"variable","index":29},{"op":"variable","index":30},{"op":"variable","index":31},
    {"op":"batch_norm","epsilon":0.001,"momentum":0.99,"inputs":[46,47,48,49,50]},
    {"op":"unary","function":"relu","inputs":[51]},
    {"op":"constant","shape":[],"values":[6.0]},
    {"op":"binary","function":"minimum","inputs":[53,52]}],
  "outputs":[10,19,30,37,44,39,54]}"#;

const SHAPES: [&[usize]; 32] = [
    &[3, 3, 4, 5],
    &[5],
    &[5],
    &[5],
    &[5],
    &[5],
    &[3, 3, 4, 2],
    &[8],
    &[8],
    &[8],
    &[8],
    &[7, 6],
    &[6],
    &[6],
    &[6],
    &[6],
    &[6],
    &[3, 7],
    &[3],
    &[3],
    &[3],
    &[3],
    &[1, 1, 4, 2],
    &[2],
    &[2],
    &[2],
    &[2],
    &[1, 1, 4, 3],
    &[3],
    &[3],
    &[3],
    &[3],
];

/// Random values; moving variances (every BN's last parameter) positive.
fn variables(seed: u64) -> Vec<Variable> {
    let moving_variances = [5, 10, 16, 21, 26, 31];
    let mut rng = Rng::new(seed);
    SHAPES
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let n = s.iter().product();
            let low = if moving_variances.contains(&i) { 0.05 } else { -1.5 };
            Variable::new(&Tensor::from_f32(s.to_vec(), (0..n).map(|_| rng.uniform(low, 1.5)).collect()).unwrap())
        })
        .collect()
}

struct Setup {
    graph: Graph,
    variables: Vec<Variable>,
    plan: Plan,
}

fn setup(batch: usize) -> Setup {
    let graph = Graph::from_json(GRAPH).unwrap();
    let variables = variables(3);
    let shapes: Vec<Vec<usize>> = SHAPES.iter().map(|s| s.to_vec()).collect();
    let mut plan = Plan::new(&graph, batch, &[vec![6, 6, 4], vec![7]], &shapes, &vec![false; graph.nodes.len()], &[]).unwrap();
    let mut rng = Rng::new(9);
    for input in [0, 20] {
        plan.values[input].iter_mut().for_each(|v| *v = rng.uniform(-2.0, 2.0));
    }
    Setup { graph, variables, plan }
}

/// Every output of an unfolded and a folded pass, in that order.
fn both_passes(s: &mut Setup, folds: &mut InferenceFolds) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
    let guards: Vec<_> = s.variables.iter().map(|v| v.data.read().unwrap()).collect();
    let outputs = |plan: &Plan| s.graph.outputs.iter().map(|&o| plan.value_of(&s.graph, &guards, o).to_vec()).collect::<Vec<_>>();
    s.plan.forward(&s.graph, &guards, false, &mut Rng::new(1));
    let plain = outputs(&s.plan);
    folds.refresh(&s.graph, &s.variables, &guards);
    s.plan.forward_folded(&s.graph, &guards, &[], folds, &mut Rng::new(1));
    (plain, outputs(&s.plan))
}

fn assert_close(plain: &[Vec<f32>], folded: &[Vec<f32>]) {
    for (k, (a, b)) in plain.iter().zip(folded).enumerate() {
        assert_eq!(a.len(), b.len());
        assert!(a.iter().any(|v| *v != 0.0), "output {k} is all zeros: the test would prove nothing");
        for (i, (p, q)) in a.iter().zip(b).enumerate() {
            assert!((p - q).abs() <= 1e-5 * p.abs().max(1.0), "output {k} value {i}: unfolded {p}, folded {q}");
        }
    }
}

#[test]
fn chains_fold_where_nothing_else_reads_their_inner_values() {
    let s = setup(2);
    let folds = InferenceFolds::plan(&s.graph, &SHAPES.iter().map(|s| s.to_vec()).collect::<Vec<_>>(), &[]);
    assert_eq!(folds.len(), 5);
    assert_eq!(folds.role(2), Role::Layer(0));
    assert_eq!([4, 9].map(|i| folds.role(i)), [Role::Skipped; 2]);
    assert_eq!(folds.role(10), Role::Output(0));
    // The depthwise kernel's reshape is skipped too; the relu6 writes the chain's output.
    assert_eq!([12, 13, 18, 19].map(|i| folds.role(i)), [Role::Skipped, Role::Layer(1), Role::Skipped, Role::Output(1)]);
    assert_eq!([22, 24, 29, 30].map(|i| folds.role(i)), [Role::Layer(2), Role::Skipped, Role::Skipped, Role::Output(2)]);
    // No activation: the batch norm writes the output.
    assert_eq!([32, 37].map(|i| folds.role(i)), [Role::Layer(3), Role::Output(3)]);
    // The conv's output is a model output: nothing folds.
    assert_eq!([39, 44].map(|i| folds.role(i)), [Role::Unchanged; 2]);
    // Relu then minimum with 6: one relu6, written at the minimum.
    assert_eq!([46, 51, 52, 54].map(|i| folds.role(i)), [Role::Layer(4), Role::Skipped, Role::Skipped, Role::Output(4)]);
    assert_eq!(folds.chains[4].activation, Some((54, UnaryOp::Relu6)));
    // A node the engine reads itself (a loss's logits) is never folded away.
    let shapes = SHAPES.iter().map(|s| s.to_vec()).collect::<Vec<_>>();
    let read = InferenceFolds::plan(&s.graph, &shapes, &[4]);
    assert_eq!((read.len(), read.role(2), read.role(9), read.role(10)), (4, Role::Unchanged, Role::Unchanged, Role::Unchanged));
    // The batch norm's value read: the chain folds, the batch norm writes it, the relu runs on its own.
    let read = InferenceFolds::plan(&s.graph, &shapes, &[9]);
    assert_eq!((read.len(), read.role(2), read.role(9), read.role(10)), (5, Role::Layer(0), Role::Output(0), Role::Unchanged));
}

#[test]
fn a_folded_forward_pass_equals_the_unfolded_one() {
    for batch in [1, 3] {
        let mut s = setup(batch);
        let mut folds = InferenceFolds::plan(&s.graph, &SHAPES.iter().map(|s| s.to_vec()).collect::<Vec<_>>(), &[]);
        let (plain, folded) = both_passes(&mut s, &mut folds);
        assert_close(&plain, &folded);
    }
}

#[test]
fn a_variable_write_folds_again_and_nothing_else_does() {
    let mut s = setup(2);
    let mut folds = InferenceFolds::plan(&s.graph, &SHAPES.iter().map(|s| s.to_vec()).collect::<Vec<_>>(), &[]);
    let (plain, folded) = both_passes(&mut s, &mut folds);
    assert_close(&plain, &folded);
    // Unchanged variables: the folded weights are kept, not computed again.
    let kept: Vec<*const f32> = (0..folds.len()).map(|k| folds.kernel(k).as_ptr()).collect();
    both_passes(&mut s, &mut folds);
    assert_eq!(kept, (0..folds.len()).map(|k| folds.kernel(k).as_ptr()).collect::<Vec<_>>());
    // Each kind of weight written (kernel, depthwise kernel, bias, gamma, beta, moving mean,
    // moving variance) as an optimizer, set_weights or the moving-statistics update would.
    for (index, value) in [(0, 0.7), (6, -0.3), (1, 2.0), (7, 3.0), (14, -1.0), (15, 0.5), (21, 4.0), (12, 1.0)] {
        {
            let mut data = s.variables[index].data.write().unwrap();
            data.iter_mut().enumerate().for_each(|(i, v)| *v = value + 0.01 * i as f32);
        }
        let (plain_after, folded_after) = both_passes(&mut s, &mut folds);
        assert_close(&plain_after, &folded_after);
        assert_ne!(plain_after, plain, "writing variable {index} changed the model");
    }
    // Through Variable::assign (the binding's setWeights and loading).
    s.variables[2].assign(&Tensor::from_f32(vec![5], vec![-2.0, 0.5, 1.0, 3.0, -0.25]).unwrap(), "gamma").unwrap();
    let (plain_after, folded_after) = both_passes(&mut s, &mut folds);
    assert_close(&plain_after, &folded_after);
}

/// MobileNetV2's stride-2 blocks: a zero padding of the height and width read only by a
/// depthwise convolution (odd sizes, uneven paddings, stride 2 valid and stride 1 same), which
/// a folded pass runs on the padding's input; a padding that is also a model output stays.
const PADDED: &str = r#"{"nodes":[
    {"op":"input","index":0,"shape":[null,7,6,4]},
    {"op":"pad","paddings":[[0,0],[0,1],[1,1],[0,0]],"inputs":[0]},
    {"op":"variable","index":0},
    {"op":"conv2d","strides":[2,2],"padding":"valid","dilation":[1,1],"groups":4,"inputs":[1,2]},
    {"op":"pad","paddings":[[0,0],[2,0],[0,3],[0,0]],"inputs":[0]},
    {"op":"conv2d","strides":[1,1],"padding":"same","dilation":[1,1],"groups":4,"inputs":[4,2]},
    {"op":"pad","paddings":[[0,0],[1,1],[1,1],[0,0]],"inputs":[0]},
    {"op":"conv2d","strides":[1,1],"padding":"valid","dilation":[1,1],"groups":4,"inputs":[6,2]}],
  "outputs":[3,5,7,6]}"#;

#[test]
fn a_depthwise_convolution_runs_without_the_zero_padding_before_it() {
    let graph = Graph::from_json(PADDED).unwrap();
    let shapes = vec![vec![3, 3, 1, 4]];
    let mut rng = Rng::new(5);
    let kernel = Tensor::from_f32(shapes[0].clone(), (0..36).map(|_| rng.uniform(-1.0, 1.0)).collect()).unwrap();
    let mut folds = InferenceFolds::plan(&graph, &shapes, &[]);
    assert!(folds.pad_link(&graph, 1).is_some() && folds.pad_link(&graph, 3).is_some() && folds.pad_link(&graph, 5).is_some());
    assert!(folds.pad_link(&graph, 6).is_none() && folds.pad_link(&graph, 7).is_none());
    for batch in [1, 3] {
        let mut plan = Plan::new(&graph, batch, &[vec![7, 6, 4]], &shapes, &vec![false; graph.nodes.len()], &[]).unwrap();
        plan.values[0].iter_mut().for_each(|v| *v = rng.uniform(-2.0, 2.0));
        let mut s = Setup { graph: graph.clone(), variables: vec![Variable::new(&kernel)], plan };
        // The folded pass alone first: the linked paddings are never computed.
        {
            let guards: Vec<_> = s.variables.iter().map(|v| v.data.read().unwrap()).collect();
            folds.refresh(&s.graph, &s.variables, &guards);
            s.plan.forward_folded(&s.graph, &guards, &[], &folds, &mut Rng::new(1));
        }
        assert!(s.plan.values[1].iter().chain(&s.plan.values[4]).all(|v| *v == 0.0));
        assert!(s.plan.values[6].iter().any(|v| *v != 0.0));
        let (plain, folded) = both_passes(&mut s, &mut folds);
        assert_close(&plain, &folded);
    }
}
