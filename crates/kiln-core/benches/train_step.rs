//! Steady-state training step of the seed MLP (784 -> 128 relu -> dropout 0.2 -> 10 softmax,
//! Adam, sparse categorical cross-entropy): `cargo bench -p kiln-core --bench train_step`.
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
 "metrics":[{"output":0,"kind":"sparse_categorical"}],
 "optimizer":{"kind":"adam","beta_1":0.9,"beta_2":0.999,"epsilon":1e-7}}"#;

fn random(shape: Vec<usize>, rng: &mut Rng, scale: f32) -> Tensor {
    let n = shape.iter().product();
    Tensor::from_f32(shape, (0..n).map(|_| rng.uniform(-scale, scale)).collect()).unwrap()
}

fn main() {
    let mut rng = Rng::new(0);
    let n = 60_000;
    let x = random(vec![n, 784], &mut rng, 1.0);
    let y = Tensor::from_f32(vec![n], (0..n).map(|i| (i % 10) as f32).collect()).unwrap();
    for batch in [32usize, 128] {
        let vars = vec![
            Variable::new(&random(vec![784, 128], &mut rng, 0.08)),
            Variable::new(&Tensor::zeros(vec![128])),
            Variable::new(&random(vec![128, 10], &mut rng, 0.2)),
            Variable::new(&Tensor::zeros(vec![10])),
        ];
        let mut engine = Engine::new(SPEC, vars).unwrap();
        let order: Vec<u32> = (0..n as u32).collect();
        let steps = n / batch;
        let rates = vec![1e-3; steps];
        engine.train_batches(&[&x], &[&y], &order, batch, 0, 50, &rates).unwrap(); // warm-up
        let started = Instant::now();
        engine.train_batches(&[&x], &[&y], &order, batch, 0, steps, &rates).unwrap();
        let seconds = started.elapsed().as_secs_f64();
        println!("batch {batch:4}: {:8.1} us/step, {:9.0} samples/s ({} threads)", seconds * 1e6 / steps as f64, (steps * batch) as f64 / seconds, kiln_core::threads::num_threads());
    }
}
