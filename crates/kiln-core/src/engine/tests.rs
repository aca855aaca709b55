//! The engine end to end: gradients against finite differences, the updater's options,
//! variable-length inputs and bad data.
use super::*;
use crate::rng::Rng;
use crate::tensor::Tensor;
use crate::variable::Variable;

/// x[4] -> Dense(3, tanh) -> Dense(2) -> softmax, with a loss of `kind` (a name, or the
/// loss object's fields).
fn spec(kind: &str) -> String {
    let loss = if kind.contains('"') { kind.to_string() } else { format!(r#""kind":"{kind}""#) };
    let metric = if kind.starts_with("sparse") { "sparse_categorical_accuracy" } else { "categorical_accuracy" };
    format!(
        r#"{{"graph":{{"nodes":[
            {{"op":"input","index":0,"shape":[null,4],"inputs":[]}},
            {{"op":"variable","index":0}},
            {{"op":"matmul","transpose_b":false,"inputs":[0,1]}},
            {{"op":"variable","index":1}},
            {{"op":"binary","function":"add","inputs":[2,3]}},
            {{"op":"unary","function":"tanh","inputs":[4]}},
            {{"op":"variable","index":2}},
            {{"op":"matmul","transpose_b":false,"inputs":[5,6]}},
            {{"op":"softmax","inputs":[7]}}],
          "outputs":[8]}},
         "trainable":[true,true,true],
         "losses":[{{"output":0,{loss}}}],
         "metrics":[{{"output":0,"kind":"{metric}"}}],
         "optimizer":{{"kind":"sgd","momentum":0.0,"nesterov":false}}}}"#
    )
}

fn tensor(shape: Vec<usize>, seed: u64) -> Tensor {
    let mut rng = Rng::new(seed);
    let n = shape.iter().product();
    Tensor::from_f32(shape, (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect()).unwrap()
}

fn variables() -> Vec<Variable> {
    vec![Variable::new(&tensor(vec![4, 3], 1)), Variable::new(&tensor(vec![3], 2)), Variable::new(&tensor(vec![3, 2], 3))]
}

#[test]
fn one_sgd_step_moves_weights_by_the_finite_difference_gradient() {
    for (kind, targets) in [
        ("sparse_categorical_crossentropy", Tensor::from_f32(vec![5], vec![0.0, 1.0, 1.0, 0.0, 1.0]).unwrap()),
        ("categorical_crossentropy", Tensor::from_f32(vec![5, 2], vec![1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0]).unwrap()),
        ("mean_squared_error", tensor(vec![5, 2], 9)),
        // Not fused with the softmax: the loss reads its output as logits, or smooths labels.
        (r#""kind":"categorical_crossentropy","from_logits":true,"label_smoothing":0.1"#, Tensor::from_f32(vec![5, 2], vec![1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0]).unwrap()),
        (r#""kind":"binary_crossentropy","from_logits":true"#, Tensor::from_f32(vec![5, 2], vec![1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0]).unwrap()),
        ("kl_divergence", Tensor::from_f32(vec![5, 2], vec![0.3, 0.7, 0.5, 0.5, 0.9, 0.1, 0.2, 0.8, 0.6, 0.4]).unwrap()),
        ("cosine_similarity", tensor(vec![5, 2], 9)),
        (r#""kind":"huber","delta":0.2"#, tensor(vec![5, 2], 9)),
    ] {
        let x = tensor(vec![5, 4], 4);
        let vars = variables();
        let mut engine = Engine::new(&spec(kind), vars.clone()).unwrap();
        let loss_of = |engine: &mut Engine| {
            let logs = engine.evaluate_batches(&BatchData::new(&[&x], &[&targets]), BatchRange::new(5, 0, 1)).unwrap();
            logs[0][1] / 5.0
        };
        let before: Vec<Vec<f32>> = vars.iter().map(|v| v.read().to_f32().into_owned()).collect();
        // Numeric gradient of the mean loss for every weight.
        let mut numeric = Vec::new();
        for v in &vars {
            let mut g = Vec::new();
            for i in 0..v.shape.iter().product::<usize>() {
                let eps = 1e-2;
                let bump = |delta: f32| {
                    let mut data = v.data.write().unwrap();
                    data[i] += delta;
                };
                bump(eps);
                let up = loss_of(&mut engine);
                bump(-2.0 * eps);
                let down = loss_of(&mut engine);
                bump(eps);
                g.push((up - down) / (2.0 * eps as f64));
            }
            numeric.push(g);
        }
        // One SGD step at learning rate 1: w_new = w - grad.
        engine.train_batches(&BatchData::new(&[&x], &[&targets]), &[0, 1, 2, 3, 4], BatchRange::new(5, 0, 1), &[1.0]).unwrap();
        for (k, v) in vars.iter().enumerate() {
            let after = v.read().to_f32().into_owned();
            for i in 0..after.len() {
                let analytic = (before[k][i] - after[i]) as f64;
                assert!((analytic - numeric[k][i]).abs() < 2e-3 * (1.0 + numeric[k][i].abs()), "{kind} var {k}[{i}]: {analytic} vs {}", numeric[k][i]);
            }
        }
    }
}

/// Each variable's change after one SGD step at `lr` with the given optimizer options.
fn sgd_step_changes(options: &str, lr: f32) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
    let spec = spec("mean_squared_error").replace(r#""nesterov":false"#, &format!(r#""nesterov":false{options}"#));
    let (x, y) = (tensor(vec![5, 4], 4), tensor(vec![5, 2], 9));
    let vars = variables();
    let before: Vec<Vec<f32>> = vars.iter().map(|v| v.read().to_f32().into_owned()).collect();
    let mut engine = Engine::new(&spec, vars.clone()).unwrap();
    engine.train_batches(&BatchData::new(&[&x], &[&y]), &[0, 1, 2, 3, 4], BatchRange::new(5, 0, 1), &[lr]).unwrap();
    let changes = vars.iter().zip(&before).map(|(v, b)| v.read().to_f32().iter().zip(b).map(|(a, b)| a - b).collect()).collect();
    (before, changes)
}

#[test]
fn clipping_and_weight_decay_apply_to_every_variable_before_the_rule() {
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    let (before, plain) = sgd_step_changes("", 1.0);
    // The test model's gradients are larger than these limits.
    assert!(plain.iter().all(|c| norm(c) > 0.05));
    let (_, clipped) = sgd_step_changes(r#","clipnorm":0.05"#, 1.0);
    for (c, p) in clipped.iter().zip(&plain) {
        assert!((norm(c) - 0.05).abs() < 1e-6, "each variable's step has norm 0.05: {}", norm(c));
        let (nc, np) = (norm(c), norm(p));
        assert!(c.iter().zip(p).all(|(c, p)| (c / nc - p / np).abs() < 1e-5), "the direction is kept");
    }
    let (_, global) = sgd_step_changes(r#","global_clipnorm":0.05"#, 1.0);
    let joint = global.iter().map(|c| norm(c).powi(2)).sum::<f32>().sqrt();
    assert!((joint - 0.05).abs() < 1e-6, "{joint}");
    let (_, by_value) = sgd_step_changes(r#","clipvalue":0.01"#, 1.0);
    assert!(by_value.iter().flatten().all(|c| c.abs() <= 0.01 + 1e-7));
    assert!(by_value.iter().flatten().any(|c| (c.abs() - 0.01).abs() < 1e-7));
    // Decoupled weight decay: w -= lr * wd * w on top of the plain step.
    let (_, decayed) = sgd_step_changes(r#","weight_decay":0.1"#, 0.5);
    let (_, half) = sgd_step_changes("", 0.5);
    for ((d, h), w) in decayed.iter().flatten().zip(half.iter().flatten()).zip(before.iter().flatten()) {
        assert!((d - (h - 0.05 * w)).abs() < 1e-6, "{d} vs {}", h - 0.05 * w);
    }
    assert!(Engine::new(&spec("mse").replace(r#""nesterov":false"#, r#""nesterov":false,"clipnorm":1,"clipvalue":1"#), variables()).is_err());
}

#[test]
fn inputs_with_unknown_axes_are_planned_per_batch_shape() {
    // ids [batch, null] -> embedding [batch, null, 2] -> mean over the steps -> [batch, 2].
    let spec = r#"{"graph":{"nodes":[
            {"op":"input","index":0,"shape":[null,null]},
            {"op":"variable","index":0},
            {"op":"embedding","inputs":[0,1]},
            {"op":"reduce","function":"mean","axis":1,"keep_dims":false,"inputs":[2]}],
          "outputs":[3]},
         "trainable":[true],
         "losses":[{"output":0,"kind":"mean_squared_error"}],
         "optimizer":{"kind":"sgd","momentum":0.0,"nesterov":false}}"#;
    let table = Variable::new(&Tensor::from_f32(vec![3, 2], vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]).unwrap());
    let mut engine = Engine::new(spec, vec![table]).unwrap();
    for (length, ids, expected) in [(2, vec![0.0, 1.0, 2.0, 2.0], vec![1.0, 2.0, 4.0, 5.0]), (3, vec![0.0, 0.0, 2.0, 1.0, 1.0, 1.0], vec![4.0 / 3.0, 7.0 / 3.0, 2.0, 3.0])] {
        let x = Tensor::from_f32(vec![2, length], ids).unwrap();
        let y = engine.predict(&[&x], 2).unwrap();
        assert_eq!(y[0].shape(), &[2, 2]);
        y[0].to_f32().iter().zip(&expected).for_each(|(a, b)| assert!((a - b).abs() < 1e-6, "length {length}: {a} vs {b}"));
    }
    // Training steps on two lengths: each plans its own workspace.
    for length in [2, 3] {
        let x = Tensor::from_f32(vec![2, length], vec![1.0; 2 * length]).unwrap();
        let targets = Tensor::from_f32(vec![2, 2], vec![0.0; 4]).unwrap();
        engine.check_data(&[&x], &[&targets]).unwrap();
        engine.train_batches(&BatchData::new(&[&x], &[&targets]), &[0, 1], BatchRange::new(2, 0, 1), &[0.1]).unwrap();
    }
    // Row 1 of the table, [2, 3], moved toward 0 by two steps of 0.1 times its gradient (the row itself).
    let row = engine.variables[0].read().to_f32()[2..4].to_vec();
    assert!((row[0] - 2.0 * 0.9 * 0.9).abs() < 1e-5 && (row[1] - 3.0 * 0.9 * 0.9).abs() < 1e-5, "{row:?}");
    // A fixed axis still has to match; rank too.
    let wrong_rank = Tensor::from_f32(vec![2, 2, 1], vec![0.0; 4]).unwrap();
    assert!(engine.check_data(&[&wrong_rank], &[&Tensor::from_f32(vec![2, 2], vec![0.0; 4]).unwrap()]).unwrap_err().message.contains("expected shape [null, null]"));
}

#[test]
fn bad_data_is_refused_with_a_message() {
    let mut engine = Engine::new(&spec("sparse_categorical_crossentropy"), variables()).unwrap();
    let x = tensor(vec![3, 4], 1);
    let labels = Tensor::from_f32(vec![3], vec![0.0, 2.0, 1.0]).unwrap();
    let err = engine.check_data(&[&x], &[&labels]).unwrap_err();
    assert!(err.message.contains("label value of 2") && err.message.contains("[0, 2)"), "{}", err.message);
    let wide = tensor(vec![3, 5], 1);
    assert!(engine.check_data(&[&wide], &[&labels]).unwrap_err().message.contains("expected shape [null, 4]"));
    let nan = Tensor::from_f32(vec![1, 4], vec![0.0, f32::NAN, 0.0, 0.0]).unwrap();
    assert!(engine.check_data(&[&nan], &[&Tensor::from_f32(vec![1], vec![0.0]).unwrap()]).unwrap_err().message.contains("non-finite"));
    assert!(Engine::new(&spec("no_such_loss"), variables()).is_err());
}

/// x [2, 3, 2] -> LSTM(2) whose states are variables 3 and 4 (Keras' `stateful=True`), with
/// first states given as model inputs 1 and 2 when `given`.
fn stateful_lstm_spec(given: bool) -> String {
    let (first, rnn_inputs, out) = if given { (r#"{"op":"input","index":1,"shape":[null,2]},{"op":"input","index":2,"shape":[null,2]},"#, "[0,3,4,5,1,2,6,7]", 8) } else { ("", "[0,1,2,3,4,5]", 6) };
    format!(
        r#"{{"graph":{{"nodes":[
            {{"op":"input","index":0,"shape":[2,3,2]}},{first}
            {{"op":"variable","index":0}},{{"op":"variable","index":1}},{{"op":"variable","index":2}},
            {{"op":"variable","index":3}},{{"op":"variable","index":4}},
            {{"op":"rnn","cell":"lstm","units":2,"activation":"tanh","recurrent_activation":"sigmoid","return_sequences":false,"go_backwards":false,"initial_state":{given},"stateful":true,"inputs":{rnn_inputs},"name":"lstm"}}],
          "outputs":[{out}]}},
         "trainable":[true,true,true,false,false],
         "losses":[{{"output":0,"kind":"mean_squared_error"}}],
         "metrics":[],
         "optimizer":{{"kind":"sgd","momentum":0.0,"nesterov":false}}}}"#
    )
}

fn lstm_variables() -> Vec<Variable> {
    let zeros = || Variable::new(&Tensor::from_f32(vec![2, 2], vec![0.0; 4]).unwrap());
    vec![Variable::new(&tensor(vec![2, 8], 11)), Variable::new(&tensor(vec![2, 8], 12)), Variable::new(&tensor(vec![8], 13)), zeros(), zeros()]
}

#[test]
fn stateful_rnns_carry_their_final_states_into_the_next_call() {
    let x = tensor(vec![2, 3, 2], 14);
    let vars = lstm_variables();
    let mut stateful = Engine::new(&stateful_lstm_spec(false), vars.clone()).unwrap();
    // The same weights with the first states given as inputs: the reference.
    let mut given = Engine::new(&stateful_lstm_spec(true), vec![vars[0].clone(), vars[1].clone(), vars[2].clone(), lstm_variables().remove(3), lstm_variables().remove(4)]).unwrap();
    let (mut h, mut c) = (Tensor::from_f32(vec![2, 2], vec![0.0; 4]).unwrap(), Tensor::from_f32(vec![2, 2], vec![0.0; 4]).unwrap());
    for call in 0..3 {
        let y = if call == 1 { stateful.predict(&[&x], 2).unwrap() } else { stateful.predict_on_batch(&[&x]).unwrap() };
        let expected = given.predict_on_batch(&[&x, &h, &c]).unwrap();
        assert_eq!(y[0].to_f32(), expected[0].to_f32(), "call {call}");
        assert_ne!(vars[3].read().to_f32().iter().sum::<f32>(), 0.0, "h is carried");
        // LSTM's last output is h; c comes from the state variable the engine wrote.
        assert_eq!(vars[3].read().to_f32(), y[0].to_f32());
        (h, c) = (vars[3].read(), vars[4].read());
    }
    // Evaluation and training carry them too (their data checks plan at the states' batch
    // size); a batch of another size is refused, naming both.
    stateful.check_data(&[&x], &[&tensor(vec![2, 2], 15)]).unwrap();
    let before = vars[3].read();
    stateful.evaluate_batches(&BatchData::new(&[&x], &[&tensor(vec![2, 2], 15)]), BatchRange::new(2, 0, 1)).unwrap();
    assert_ne!(vars[3].read(), before);
    let before = vars[3].read();
    stateful.train_batches(&BatchData::new(&[&x], &[&tensor(vec![2, 2], 15)]), &[0, 1], BatchRange::new(2, 0, 1), &[0.1]).unwrap();
    assert_ne!(vars[3].read(), before);
    let three = tensor(vec![3, 3, 2], 16);
    let err = stateful.predict_on_batch(&[&three]).unwrap_err();
    assert!(err.message.contains("lstm: if an RNN is stateful") && err.message.contains("expected batch size 2, received batch size 3"), "{}", err.message);
}

#[test]
fn a_stateful_rnn_whose_states_are_not_variables_is_refused() {
    let spec = stateful_lstm_spec(false).replace(r#"{"op":"variable","index":3}"#, r#"{"op":"constant","shape":[2,2],"values":[0,0,0,0]}"#);
    let err = Engine::new(&spec, lstm_variables()).err().unwrap();
    assert!(err.message.contains("a stateful RNN's states must be variables"), "{}", err.message);
}

/// A small CNN: conv 4 3x3 'same' (bias, `act[0]`) -> max pool -> conv 6 3x3 (bias added
/// first, `act[1]`) -> flatten -> dense 3 (`act[2]`) -> dense 2 -> `head` ("softmax" or
/// "sigmoid"). With `unfusable` the pre-activations are outputs too, so no bias add can be
/// folded into its activation.
fn cnn_spec(act: [&str; 3], head: &str, loss: &str, unfusable: bool) -> String {
    let outputs = if unfusable { "[22,4,10,16,21]" } else { "[22]" };
    let head = if head == "softmax" { r#""op":"softmax""#.to_string() } else { format!(r#""op":"unary","function":"{head}""#) };
    format!(
        r#"{{"graph":{{"nodes":[
            {{"op":"input","index":0,"shape":[null,8,8,2]}},
            {{"op":"variable","index":0}},
            {{"op":"conv2d","strides":[1,1],"padding":"same","dilation":[1,1],"inputs":[0,1]}},
            {{"op":"variable","index":1}},
            {{"op":"binary","function":"add","inputs":[2,3]}},
            {{"op":"unary","function":"{}","inputs":[4]}},
            {{"op":"pool2d","function":"max","pool":[2,2],"strides":[2,2],"padding":"valid","inputs":[5]}},
            {{"op":"variable","index":2}},
            {{"op":"conv2d","strides":[1,1],"padding":"valid","dilation":[1,1],"inputs":[6,7]}},
            {{"op":"variable","index":3}},
            {{"op":"binary","function":"add","inputs":[9,8]}},
            {{"op":"unary","function":"{}","inputs":[10]}},
            {{"op":"reshape","shape":[-1],"keep_batch":true,"inputs":[11]}},
            {{"op":"variable","index":4}},
            {{"op":"matmul","transpose_b":false,"inputs":[12,13]}},
            {{"op":"variable","index":5}},
            {{"op":"binary","function":"add","inputs":[14,15]}},
            {{"op":"unary","function":"{}","inputs":[16]}},
            {{"op":"variable","index":6}},
            {{"op":"matmul","transpose_b":false,"inputs":[17,18]}},
            {{"op":"variable","index":7}},
            {{"op":"binary","function":"add","inputs":[19,20]}},
            {{{head},"inputs":[21]}}],
          "outputs":{outputs}}},
         "trainable":[true,true,true,true,true,true,true,true],
         "losses":[{{"output":0,"kind":"{loss}"}}],
         "optimizer":{{"kind":"sgd","momentum":0.0,"nesterov":false}}}}"#,
        act[0], act[1], act[2]
    )
}

fn cnn_variables() -> Vec<Variable> {
    let shapes = [vec![3, 3, 2, 4], vec![4], vec![3, 3, 4, 6], vec![6], vec![24, 3], vec![3], vec![3, 2], vec![2]];
    shapes.into_iter().enumerate().map(|(i, s)| Variable::new(&tensor(s, 20 + i as u64))).collect()
}

/// Bias + activation fused (relu, gelu which keeps its sum, bias first in the add; a sigmoid
/// head whose loss reads the logits, which must stay unfused) against the same model where
/// nothing can fuse: the same predictions and the same weights after training steps.
#[test]
fn fused_bias_activation_trains_and_predicts_like_the_separate_ops() {
    let x = tensor(vec![12, 8, 8, 2], 5);
    for (act, head, loss, targets) in [
        (["relu", "relu", "relu"], "softmax", "sparse_categorical_crossentropy", Tensor::from_f32(vec![12], (0..12).map(|i| (i % 2) as f32).collect()).unwrap()),
        (["gelu", "tanh", "elu"], "sigmoid", "binary_crossentropy", Tensor::from_f32(vec![12, 2], (0..24).map(|i| (i % 3 == 0) as u8 as f32).collect()).unwrap()),
    ] {
        let mut fused = Engine::new(&cnn_spec(act, head, loss, false), cnn_variables()).unwrap();
        let mut separate = Engine::new(&cnn_spec(act, head, loss, true), cnn_variables()).unwrap();
        let order: Vec<u32> = (0..12).collect();
        for e in [&mut fused, &mut separate] {
            e.train_batches(&BatchData::new(&[&x], &[&targets]), &order, BatchRange::new(4, 0, 3), &[0.1; 3]).unwrap();
        }
        // The fused model folded its three hidden bias adds (not the head's: its loss reads the logits).
        let folded = fused.workspaces[0].2.plan.folded_nodes();
        assert_eq!(folded, vec![4, 10, 16], "{act:?}");
        assert!(separate.workspaces[0].2.plan.folded_nodes().is_empty());
        for (a, b) in fused.variables.iter().zip(&separate.variables) {
            let (a, b) = (a.read().to_f32().into_owned(), b.read().to_f32().into_owned());
            a.iter().zip(&b).for_each(|(p, q)| assert!((p - q).abs() <= 1e-5 * (1.0 + q.abs()), "{act:?}: weight {p} vs {q}"));
        }
        let (a, b) = (fused.predict(&[&x], 5).unwrap(), separate.predict(&[&x], 5).unwrap());
        a[0].to_f32().iter().zip(b[0].to_f32().iter()).for_each(|(p, q)| assert!((p - q).abs() <= 1e-5 * (1.0 + q.abs()), "{act:?}: prediction {p} vs {q}"));
    }
}

/// A residual block: x[6,6,3] -> conv 3 3x3 'same' + bias -> add x (`shortcut_first`: x + branch)
/// -> `act` -> flatten -> dense 2. With `unfusable` the residual sum is an output too, so it
/// cannot be folded into its activation.
fn residual_spec(act: &str, shortcut_first: bool, unfusable: bool) -> String {
    let outputs = if unfusable { "[9,5]" } else { "[9]" };
    let addends = if shortcut_first { "[0,4]" } else { "[4,0]" };
    format!(
        r#"{{"graph":{{"nodes":[
            {{"op":"input","index":0,"shape":[null,6,6,3]}},
            {{"op":"variable","index":0}},
            {{"op":"conv2d","strides":[1,1],"padding":"same","dilation":[1,1],"inputs":[0,1]}},
            {{"op":"variable","index":1}},
            {{"op":"binary","function":"add","inputs":[2,3]}},
            {{"op":"binary","function":"add","inputs":{addends}}},
            {{"op":"unary","function":"{act}","inputs":[5]}},
            {{"op":"reshape","shape":[-1],"keep_batch":true,"inputs":[6]}},
            {{"op":"variable","index":2}},
            {{"op":"matmul","transpose_b":false,"inputs":[7,8]}}],
          "outputs":{outputs}}},
         "trainable":[true,true,true],
         "losses":[{{"output":0,"kind":"mean_squared_error"}}],
         "optimizer":{{"kind":"sgd","momentum":0.0,"nesterov":false}}}}"#
    )
}

/// The residual add + activation fused (relu; gelu, which keeps its sum; the shortcut first in
/// the add) against the same block where the sum is an output and nothing fuses: the same
/// weights after training steps (so the same gradients to the branch and the shortcut) and
/// the same predictions.
#[test]
fn fused_residual_add_and_activation_trains_and_predicts_like_the_separate_ops() {
    let x = tensor(vec![8, 6, 6, 3], 6);
    let targets = tensor(vec![8, 2], 7);
    let variables = || [vec![3, 3, 3, 3], vec![3], vec![108, 2]].into_iter().enumerate().map(|(i, s)| Variable::new(&tensor(s, 40 + i as u64))).collect::<Vec<_>>();
    for (act, shortcut_first) in [("relu", false), ("gelu", true), ("relu", true)] {
        let mut fused = Engine::new(&residual_spec(act, shortcut_first, false), variables()).unwrap();
        let mut separate = Engine::new(&residual_spec(act, shortcut_first, true), variables()).unwrap();
        let order: Vec<u32> = (0..8).collect();
        for e in [&mut fused, &mut separate] {
            e.train_batches(&BatchData::new(&[&x], &[&targets]), &order, BatchRange::new(4, 0, 2), &[0.05; 2]).unwrap();
        }
        assert_eq!(fused.workspaces[0].2.plan.folded_nodes(), vec![5], "{act}");
        assert!(separate.workspaces[0].2.plan.folded_nodes().is_empty());
        for (a, b) in fused.variables.iter().zip(&separate.variables) {
            let (a, b) = (a.read().to_f32().into_owned(), b.read().to_f32().into_owned());
            a.iter().zip(&b).for_each(|(p, q)| assert!((p - q).abs() <= 1e-5 * (1.0 + q.abs()), "{act}: weight {p} vs {q}"));
        }
        let (a, b) = (fused.predict(&[&x], 4).unwrap(), separate.predict(&[&x], 4).unwrap());
        a[0].to_f32().iter().zip(b[0].to_f32().iter()).for_each(|(p, q)| assert!((p - q).abs() <= 1e-5 * (1.0 + q.abs()), "{act}: prediction {p} vs {q}"));
    }
}

/// x[6,6,72] -> conv 3x3 (im2col route: 72 channels) -> relu -> conv 1x1 (pointwise) ->
/// flatten -> Dense(5) (its kernel stored [5, 384], read transposed): three weights that
/// inference can pack ahead for the GEMM kernel.
fn packed_weights_spec() -> String {
    r#"{"graph":{"nodes":[
        {"op":"input","index":0,"shape":[null,6,6,72]},
        {"op":"variable","index":0},
        {"op":"conv2d","strides":[1,1],"padding":"valid","dilation":[1,1],"inputs":[0,1]},
        {"op":"unary","function":"relu","inputs":[2]},
        {"op":"variable","index":1},
        {"op":"conv2d","strides":[1,1],"padding":"valid","dilation":[1,1],"inputs":[3,4]},
        {"op":"reshape","shape":[-1],"keep_batch":true,"inputs":[5]},
        {"op":"variable","index":2},
        {"op":"matmul","transpose_b":true,"inputs":[6,7]}],
      "outputs":[8]},
     "trainable":[true,true,true],
     "losses":[{"output":0,"kind":"mean_squared_error"}],
     "optimizer":{"kind":"sgd","momentum":0.0,"nesterov":false}}"#
        .to_string()
}

/// The model's output on `x` through a plan told no variable versions: nothing packed ahead.
fn unpacked_prediction(engine: &mut Engine, x: &Tensor) -> Vec<f32> {
    let w = engine.workspace(x.shape()[0], &[x.shape()[1..].to_vec()]).unwrap();
    let weights: Vec<Vec<f32>> = engine.variables.iter().map(|v| v.read().to_f32().into_owned()).collect();
    let weights: Vec<&Vec<f32>> = weights.iter().collect();
    let Engine { graph, workspaces, rng, input_nodes, .. } = engine;
    let plan = &mut workspaces[w].2.plan;
    plan.values[input_nodes[0]].copy_from_slice(&x.to_f32());
    plan.forward(graph, &weights, false, rng);
    plan.value_of(graph, &weights, graph.outputs[0]).to_vec()
}

/// A stale packed weight would be a silent wrong model: predictions after a fit step and after
/// an assign must equal the unpacked computation on the new weights.
#[test]
fn weights_packed_at_inference_are_repacked_after_every_write() {
    let (x, y) = (tensor(vec![6, 6, 6, 72], 7), tensor(vec![6, 5], 8));
    // The convolutions' kernels are packed ahead only where forced (slower on this kernel).
    crate::kernels::gemm_packed::FORCE_PREPACKED.with(|f| f.set(true));
    let shapes = [vec![3, 3, 72, 16], vec![1, 1, 16, 24], vec![5, 384]];
    let vars: Vec<Variable> = shapes.iter().enumerate().map(|(i, s)| Variable::new(&tensor(s.clone(), 30 + i as u64))).collect();
    let mut engine = Engine::new(&packed_weights_spec(), vars.clone()).unwrap();
    let check = |engine: &mut Engine, label: &str| -> Vec<f32> {
        let got = engine.predict_on_batch(&[&x]).unwrap()[0].to_f32().into_owned();
        let want = unpacked_prediction(engine, &x);
        got.iter().zip(&want).for_each(|(p, q)| assert!((p - q).abs() <= 1e-4 * (1.0 + q.abs()), "{label}: {p} vs {q}"));
        got
    };
    let first = check(&mut engine, "first prediction");
    let packed: usize = engine.workspaces.iter().map(|w| w.2.plan.packed_weight_count()).sum();
    assert_eq!(packed, 3, "both convolutions and the dense kernel packed");
    let again = check(&mut engine, "second prediction, weights unchanged");
    assert_eq!(first, again);
    engine.train_batches(&BatchData::new(&[&x], &[&y]), &[0, 1, 2, 3, 4, 5], BatchRange::new(6, 0, 1), &[1e-4]).unwrap();
    let trained = check(&mut engine, "after one fit step");
    assert_ne!(first, trained, "the step moved the weights");
    for (i, v) in vars.iter().enumerate() {
        v.assign(&tensor(shapes[i].clone(), 40 + i as u64), "w").unwrap();
        let assigned = check(&mut engine, &format!("after assigning variable {i}"));
        assert_ne!(trained, assigned);
    }
    // predict over several batches (the pool's path, where the transposed Dense kernel is
    // packed) packs from the same versions.
    let many = tensor(vec![12, 6, 6, 72], 9);
    let batched = engine.predict(&[&many], 6).unwrap()[0].to_f32().into_owned();
    let mut whole = Vec::new();
    for half in 0..2 {
        let part = Tensor::from_f32(vec![6, 6, 6, 72], many.to_f32()[half * 6 * 2592..(half + 1) * 6 * 2592].to_vec()).unwrap();
        whole.extend(unpacked_prediction(&mut engine, &part));
    }
    batched.iter().zip(&whole).for_each(|(p, q)| assert!((p - q).abs() <= 1e-4 * (1.0 + q.abs()), "predict in batches: {p} vs {q}"));
}
