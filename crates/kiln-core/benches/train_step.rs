//! Steady-state training steps of the seed MLP (784 -> 128 relu -> dropout 0.2 -> 10 softmax)
//! and the seed CNN (conv 32 -> pool -> conv 64 -> pool -> dense 128 -> 10), Adam, sparse
//! categorical cross-entropy: `cargo bench -p kiln-core --bench train_step` (`-- cnn` or
//! `-- mlp` for one model only, e.g. under `perf record`).
use kiln_core::engine::{BatchData, BatchRange};
use kiln_core::rng::Rng;
use kiln_core::{Engine, Tensor, Variable};
use std::time::Instant;

const SPEC: &str = r#"{"graph":{"nodes":[
  {"op":"input","index":0,"shape":[null,784]},
  {"op":"variable","index":0},
  {"op":"matmul","transpose_b":false,"inputs":[0,1]},
  {"op":"variable","index":1},
  {"op":"binary","function":"add","inputs":[2,3]},
  {"op":"unary","function":"relu","inputs":[4]},
  {"op":"dropout","rate":0.2,"inputs":[5]},
  {"op":"variable","index":2},
  {"op":"matmul","transpose_b":false,"inputs":[6,7]},
  {"op":"variable","index":3},
  {"op":"binary","function":"add","inputs":[8,9]},
  {"op":"softmax","inputs":[10]}],
  "outputs":[11]},
 "trainable":[true,true,true,true],
 "losses":[{"output":0,"kind":"sparse_categorical_crossentropy"}],
 "metrics":[{"output":0,"kind":"sparse_categorical_accuracy"}],
 "optimizer":{"kind":"adam","beta_1":0.9,"beta_2":0.999,"epsilon":1e-7}}"#;

const CNN: &str = r#"{"graph":{"nodes":[
  {"op":"input","index":0,"shape":[null,28,28,1]},
  {"op":"variable","index":0},
  {"op":"conv2d","strides":[1,1],"padding":"valid","dilation":[1,1],"inputs":[0,1]},
  {"op":"variable","index":1},
  {"op":"binary","function":"add","inputs":[2,3]},
  {"op":"unary","function":"relu","inputs":[4]},
  {"op":"pool2d","function":"max","pool":[2,2],"strides":[2,2],"padding":"valid","inputs":[5]},
  {"op":"variable","index":2},
  {"op":"conv2d","strides":[1,1],"padding":"valid","dilation":[1,1],"inputs":[6,7]},
  {"op":"variable","index":3},
  {"op":"binary","function":"add","inputs":[8,9]},
  {"op":"unary","function":"relu","inputs":[10]},
  {"op":"pool2d","function":"max","pool":[2,2],"strides":[2,2],"padding":"valid","inputs":[11]},
  {"op":"reshape","shape":[-1],"keep_batch":true,"inputs":[12]},
  {"op":"variable","index":4},
  {"op":"matmul","transpose_b":false,"inputs":[13,14]},
  {"op":"variable","index":5},
  {"op":"binary","function":"add","inputs":[15,16]},
  {"op":"unary","function":"relu","inputs":[17]},
  {"op":"variable","index":6},
  {"op":"matmul","transpose_b":false,"inputs":[18,19]},
  {"op":"variable","index":7},
  {"op":"binary","function":"add","inputs":[20,21]},
  {"op":"softmax","inputs":[22]}],
  "outputs":[23]},
 "trainable":[true,true,true,true,true,true,true,true],
 "losses":[{"output":0,"kind":"sparse_categorical_crossentropy"}],
 "metrics":[],
 "optimizer":{"kind":"adam","beta_1":0.9,"beta_2":0.999,"epsilon":1e-7}}"#;

fn time_steps(name: &str, spec: &str, vars: Vec<Variable>, x: &Tensor, y: &Tensor, batch: usize, steps: usize) {
    let n = x.shape()[0];
    let mut engine = Engine::new(spec, vars).unwrap();
    let order: Vec<u32> = (0..n as u32).collect();
    let rates = vec![1e-3; steps];
    engine.train_batches(&BatchData::new(&[x], &[y]), &order, BatchRange::new(batch, 0, 5), &rates).unwrap(); // warm-up
    let started = Instant::now();
    engine.train_batches(&BatchData::new(&[x], &[y]), &order, BatchRange::new(batch, 0, steps), &rates).unwrap();
    let seconds = started.elapsed().as_secs_f64();
    println!("{name} batch {batch:4}: {:8.1} us/step, {:9.0} samples/s ({} threads)", seconds * 1e6 / steps as f64, (steps * batch) as f64 / seconds, kiln_core::threads::num_threads());
}

fn random(shape: Vec<usize>, rng: &mut Rng, scale: f32) -> Tensor {
    let n = shape.iter().product();
    Tensor::from_f32(shape, (0..n).map(|_| rng.uniform(-scale, scale)).collect()).unwrap()
}

fn main() {
    let only = std::env::args().skip(1).find(|a| a == "cnn" || a == "mlp");
    let runs = |model: &str| only.as_deref().is_none_or(|o| o == model);
    let mut rng = Rng::new(0);
    let n = 60_000;
    let x = random(vec![n, 784], &mut rng, 1.0);
    let y = Tensor::from_f32(vec![n], (0..n).map(|i| (i % 10) as f32).collect()).unwrap();
    for batch in [32usize, 128].into_iter().filter(|_| runs("mlp")) {
        let vars = vec![
            Variable::new(&random(vec![784, 128], &mut rng, 0.08)),
            Variable::new(&Tensor::zeros(vec![128])),
            Variable::new(&random(vec![128, 10], &mut rng, 0.2)),
            Variable::new(&Tensor::zeros(vec![10])),
        ];
        time_steps("mlp", SPEC, vars, &x, &y, batch, n / batch);
    }
    let images = x.reshape(&[None, Some(28), Some(28), Some(1)]).unwrap();
    for batch in [32usize, 64].into_iter().filter(|_| runs("cnn")) {
        let vars = vec![
            Variable::new(&random(vec![3, 3, 1, 32], &mut rng, 0.3)),
            Variable::new(&Tensor::zeros(vec![32])),
            Variable::new(&random(vec![3, 3, 32, 64], &mut rng, 0.08)),
            Variable::new(&Tensor::zeros(vec![64])),
            Variable::new(&random(vec![1600, 128], &mut rng, 0.05)),
            Variable::new(&Tensor::zeros(vec![128])),
            Variable::new(&random(vec![128, 10], &mut rng, 0.2)),
            Variable::new(&Tensor::zeros(vec![10])),
        ];
        time_steps("cnn", CNN, vars, &images, &y, batch, 6400 / batch);
    }
}
