//! Convolution throughput, forward, input gradient and kernel gradient, in GFLOP/s:
//! `cargo bench -p kiln-core --bench conv` (`-- seed`, `-- resnet` or `-- mobilenet` for one
//! section; KILN_NUM_THREADS=1 for one thread).
//! - seed: every op of one training step of the seed CNN at batch 64 (conv 32 3x3 relu, max
//!   pool 2, conv 64 3x3 relu, max pool 2, dense 128 relu, dense 10 softmax, Adam): the
//!   per-op profile, summed at the end.
//! - resnet: ResNet50's typical convolutions at batch 1 (inference) and their gradients.
//! - mobilenet: MobileNetV2's depthwise 3x3 convolutions at batch 1 and 32, forward and both
//!   gradients, the vector kernel against the scalar one it replaced (alternating rounds).
//! - winograd: ResNet50's 3x3 convolutions at batch 1 and 32 and the seed CNN's second, forward
//!   and input gradient, Winograd F(2x2, 3x3) against the route it would replace (direct up to
//!   64 input channels, else im2col + GEMM), and F(4x4, 3x3) forward at batch 1 (alternating rounds).
//! - transformed: the same ResNet50 shapes at batch 1 and 32, forward at inference with the
//!   kernel's Winograd transform kept across calls (graph::transformed_kernels), F(2x2, 3x3)
//!   and F(4x4, 3x3), against the route `Route::of` takes; and the transform's own cost.
//! - blocked: ResNet50's convolutions on the im2col route at batch 1 and 32, forward with no
//!   backward pass: the whole im2col matrix then one GEMM against the blocked route (columns made
//!   and multiplied one block of rows at a time), its kernel as stored and packed ahead.
mod common;

use common::{bench, median_seconds, random, report, wanted, Work};
use kiln_core::kernels::binary::{self, BinaryOp};
use kiln_core::kernels::conv::{self, Geometry, Groups, Padding, Route};
use kiln_core::kernels::conv_direct::Isa;
use kiln_core::kernels::gemm::{gemm, MatRef, StridedRef};
use kiln_core::kernels::gemm_packed::PackedB;
use kiln_core::kernels::pool::{self, PoolOp};
use kiln_core::kernels::unary::{self, UnaryOp};
use kiln_core::kernels::winograd::{self, F2, F4};
use kiln_core::optim::{Adam, Optimizer};
use kiln_core::rng::Rng;

const SECTIONS: [&str; 6] = ["seed", "resnet", "mobilenet", "winograd", "transformed", "blocked"];

/// One convolution layer's buffers.
struct Layer {
    route: Route,
    g: Geometry,
    groups: Groups,
    x: Vec<f32>,
    kernel: Vec<f32>,
    cols: Vec<f32>,
    dcols: Vec<f32>,
    y: Vec<f32>,
    dx: Vec<f32>,
    dkernel: Vec<f32>,
}

impl Layer {
    fn new(input: [usize; 4], window: usize, stride: usize, padding: Padding, groups: usize, out_channels: usize, rng: &mut Rng) -> Layer {
        let g = Geometry::new(&input, (window, window), (stride, stride), (1, 1), padding, "bench").unwrap();
        let groups = Groups::new(groups, out_channels);
        let kernel_len = g.patch() / groups.groups * out_channels;
        let cols = groups.columns_len(&g).unwrap().max(Route::Columns.scratch_len(&g, &groups).unwrap());
        Layer {
            route: Route::of(&g, &groups),
            x: random(g.batch * g.in_size(), rng, 1.0),
            kernel: random(kernel_len, rng, 0.1),
            cols: vec![0.0; cols],
            dcols: vec![0.0; cols],
            y: random(g.batch * g.positions() * out_channels, rng, 1.0),
            dx: vec![0.0; g.batch * g.in_size()],
            dkernel: vec![0.0; kernel_len],
            g,
            groups,
        }
    }
    /// Multiply-adds x 2 of one pass (forward and each gradient cost the same).
    fn flops(&self) -> f64 {
        2.0 * (self.g.batch * self.g.positions() * self.g.patch() / self.groups.groups * self.groups.out_channels) as f64
    }
    fn forward(&mut self) {
        conv::forward_by(self.route, &self.g, self.groups, &self.x, &self.kernel, &mut self.cols, &mut self.y);
    }
    /// dy is `y` (any values do).
    fn kernel_gradient(&mut self) {
        conv::backward_by(self.route, &self.g, self.groups, &self.x, &mut self.cols, &self.kernel, &self.y, Some((&mut self.dkernel, true)), None);
    }
    fn input_gradient(&mut self) {
        conv::backward_by(self.route, &self.g, self.groups, &self.x, &mut self.cols, &self.kernel, &self.y, None, Some((&mut self.dx, &mut self.dcols, false)));
    }
    /// Times the three passes on the chosen route, and on im2col + GEMM when that is another
    /// (for comparison, not counted); returns the chosen route's seconds.
    fn bench_all(&mut self, name: &str, input_gradient: bool) -> [f64; 3] {
        let chosen = self.route;
        let mut seconds = [0.0; 3];
        let routes = if self.groups.groups == 1 && chosen != Route::Columns && chosen != Route::Pointwise { vec![chosen, Route::Columns] } else { vec![chosen] };
        for route in routes {
            self.route = route;
            let label = match route {
                Route::Direct(isa) => format!("{name} [direct {isa:?}]"),
                _ => format!("{name} [{route:?}]"),
            };
            let flops = self.flops();
            let f = bench(&format!("{label} forward"), Work::Flops(flops), || self.forward());
            self.forward();
            let dk = bench(&format!("{label} kernel gradient"), Work::Flops(flops), || self.kernel_gradient());
            let dx = if input_gradient { bench(&format!("{label} input gradient"), Work::Flops(flops), || self.input_gradient()) } else { 0.0 };
            if route == chosen {
                seconds = [f, dk, dx];
            }
        }
        self.route = chosen;
        seconds
    }
}

fn bytes(values: usize) -> f64 {
    4.0 * values as f64
}

/// Bias add, relu and max pooling after a convolution: forward and backward; returns seconds
/// of (bias + relu) and of pooling.
fn bench_activation_and_pool(name: &str, y_shape: [usize; 4], rng: &mut Rng) -> (f64, f64) {
    let n: usize = y_shape.iter().product();
    let channels = y_shape[3];
    let (x, bias) = (random(n, rng, 1.0), random(channels, rng, 0.1));
    let (mut y, mut a, mut d, mut dbias) = (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; channels]);
    let mut t = 0.0;
    t += bench(&format!("{name} bias add"), Work::Bytes(bytes(2 * n)), || binary::forward(BinaryOp::Add, &x, &y_shape, &bias, &[channels], &y_shape, &mut y));
    t += bench(&format!("{name} relu"), Work::Bytes(bytes(2 * n)), || unary::forward(UnaryOp::Relu, &y, &mut a));
    t += bench(&format!("{name} relu backward"), Work::Bytes(bytes(4 * n)), || unary::backward(UnaryOp::Relu, &y, &a, &x, &mut d));
    t += bench(&format!("{name} bias add backward"), Work::Bytes(bytes(n)), || binary::backward(BinaryOp::Add, &x, &y_shape, &bias, &[channels], &y_shape, &a, None, Some(&mut dbias)));
    let g = Geometry::new(&y_shape, (2, 2), (2, 2), (1, 1), Padding::Valid, "bench").unwrap();
    let out = g.batch * g.positions() * channels;
    let (mut pooled, mut argmax) = (vec![0.0; out], vec![0u32; out]);
    let mut p = bench(&format!("{name} max pool 2x2"), Work::Bytes(bytes(n + out)), || pool::forward(PoolOp::Max, &g, &a, &mut pooled, &mut argmax));
    p += bench(&format!("{name} max pool 2x2 backward"), Work::Bytes(bytes(n + 2 * out)), || {
        d.fill(0.0);
        pool::backward(PoolOp::Max, &g, &pooled, &argmax, &mut d)
    });
    (t, p)
}

fn seed(rng: &mut Rng) {
    println!("-- seed CNN, one training step at batch 64, per op");
    let batch = 64;
    let mut conv1 = Layer::new([batch, 28, 28, 1], 3, 1, Padding::Valid, 1, 32, rng);
    let mut conv2 = Layer::new([batch, 13, 13, 32], 3, 1, Padding::Valid, 1, 64, rng);
    // The first layer's input gradient is never taken (the input needs none).
    let [c1f, c1k, _] = conv1.bench_all("conv1 28x28x1 -> 32 3x3", false);
    let (a1, p1) = bench_activation_and_pool("conv1 [64,26,26,32]", [batch, 26, 26, 32], rng);
    let [c2f, c2k, c2x] = conv2.bench_all("conv2 13x13x32 -> 64 3x3", true);
    let (a2, p2) = bench_activation_and_pool("conv2 [64,11,11,64]", [batch, 11, 11, 64], rng);
    let mut dense = 0.0;
    for (name, (m, k, n)) in [("dense1", (batch, 1600, 128)), ("dense2", (batch, 128, 10))] {
        let (a, w, dy) = (random(m * k, rng, 1.0), random(k * n, rng, 0.1), random(m * n, rng, 1.0));
        let (mut y, mut dw, mut dx) = (vec![0.0; m * n], vec![0.0; k * n], vec![0.0; m * k]);
        let flops = Work::Flops(2.0 * (m * k * n) as f64);
        dense += bench(&format!("{name} [{m},{k}]x[{k},{n}] forward"), flops, || gemm(1.0, MatRef::new(&a, m, k), MatRef::new(&w, k, n), 0.0, &mut y));
        let flops = Work::Flops(2.0 * (m * k * n) as f64);
        dense += bench(&format!("{name} kernel gradient"), flops, || gemm(1.0, MatRef::new(&a, m, k).t(), MatRef::new(&dy, m, n), 0.0, &mut dw));
        let flops = Work::Flops(2.0 * (m * k * n) as f64);
        dense += bench(&format!("{name} input gradient"), flops, || gemm(1.0, MatRef::new(&dy, m, n), MatRef::new(&w, k, n).t(), 1.0, &mut dx));
    }
    let params = 3 * 3 * 32 + 32 + 3 * 3 * 32 * 64 + 64 + 1600 * 128 + 128 + 128 * 10 + 10;
    let (mut w, g) = (random(params, rng, 0.1), random(params, rng, 0.01));
    let mut adam = Adam::new(0.9, 0.999, 1e-7, false);
    let mut step = 0;
    let opt = bench(&format!("adam over {params} parameters"), Work::Bytes(bytes(7 * params)), || {
        step += 1;
        adam.update(0, &mut w, &g, 1e-3, step)
    });
    let total = c1f + c1k + c2f + c2k + c2x + a1 + a2 + p1 + p2 + dense + opt;
    println!("-- seed CNN per-op share of the kernels' sum ({:.2} ms):", total * 1e3);
    for (name, t) in [
        ("conv1 forward", c1f),
        ("conv1 kernel gradient", c1k),
        ("conv2 forward", c2f),
        ("conv2 kernel gradient", c2k),
        ("conv2 input gradient", c2x),
        ("bias + relu, forward and backward", a1 + a2),
        ("max pooling, forward and backward", p1 + p2),
        ("dense layers", dense),
        ("adam", opt),
    ] {
        println!("   {name:40} {:6.2} ms {:5.1} %", t * 1e3, 100.0 * t / total);
    }
}

fn resnet(rng: &mut Rng) {
    println!("-- ResNet50's convolutions at batch 1");
    for (name, input, window, stride, padding, out) in [
        ("resnet conv1 224x224x3 -> 64 7x7/2", [1, 230, 230, 3], 7, 2, Padding::Valid, 64),
        ("resnet 56x56x64 -> 64 3x3", [1, 56, 56, 64], 3, 1, Padding::Same, 64),
        ("resnet 56x56x64 -> 256 1x1", [1, 56, 56, 64], 1, 1, Padding::Same, 256),
        ("resnet 56x56x256 -> 128 1x1/2", [1, 56, 56, 256], 1, 2, Padding::Valid, 128),
        ("resnet 28x28x128 -> 128 3x3", [1, 28, 28, 128], 3, 1, Padding::Same, 128),
        ("resnet 14x14x256 -> 256 3x3", [1, 14, 14, 256], 3, 1, Padding::Same, 256),
        ("resnet 7x7x512 -> 512 3x3", [1, 7, 7, 512], 3, 1, Padding::Same, 512),
    ] {
        Layer::new(input, window, stride, padding, 1, out, rng).bench_all(name, true);
    }
}

/// The depthwise kernel before its vector rewrite (multiplier 1, scalar loops over slices the
/// compiler vectorises), kept here so the mobilenet section measures the rewrite against it.
mod depthwise_before {
    use kiln_core::kernels::conv::Geometry;
    use rayon::prelude::*;

    fn parallel(g: &Geometry) -> bool {
        g.batch * g.positions() * g.k_h * g.k_w * g.channels >= 1 << 18 && kiln_core::threads::num_threads() > 1
    }

    fn multiply_add(acc: &mut [f32], x: &[f32], k: &[f32]) {
        acc.iter_mut().zip(x).zip(k).for_each(|((a, &x), &k)| *a += x * k);
    }

    pub fn forward(g: &Geometry, x: &[f32], kernel: &[f32], y: &mut [f32]) {
        let c = g.channels;
        let row = |(r, y_row): (usize, &mut [f32])| {
            let (b, oy) = (r / g.out_h, r % g.out_h);
            let x = &x[b * g.in_size()..(b + 1) * g.in_size()];
            y_row.fill(0.0);
            for (ox, acc) in y_row.chunks_exact_mut(c).enumerate() {
                for ky in 0..g.k_h {
                    let Some(iy) = g.source_row(oy, ky) else { continue };
                    for kx in 0..g.k_w {
                        let Some(ix) = g.source_column(ox, kx) else { continue };
                        let at = (iy * g.in_w + ix) * c;
                        multiply_add(acc, &x[at..at + c], &kernel[(ky * g.k_w + kx) * c..][..c]);
                    }
                }
            }
        };
        if parallel(g) {
            y.par_chunks_mut(g.out_w * c).enumerate().for_each(row);
        } else {
            y.chunks_mut(g.out_w * c).enumerate().for_each(row);
        }
    }

    fn output_under(i: usize, k: usize, stride: usize, dilation: usize, pad: usize, out: usize) -> Option<usize> {
        let at = (i + pad).checked_sub(k * dilation)?;
        (at % stride == 0 && at / stride < out).then_some(at / stride)
    }

    pub fn input_gradient(g: &Geometry, dy: &[f32], kernel: &[f32], dx: &mut [f32]) {
        let c = g.channels;
        let row = |(r, dx_row): (usize, &mut [f32])| {
            let (b, iy) = (r / g.in_h, r % g.in_h);
            let dy = &dy[b * g.positions() * c..(b + 1) * g.positions() * c];
            for (ix, acc) in dx_row.chunks_exact_mut(c).enumerate() {
                for ky in 0..g.k_h {
                    let Some(oy) = output_under(iy, ky, g.stride.0, g.dilation.0, g.pad_top, g.out_h) else { continue };
                    for kx in 0..g.k_w {
                        let Some(ox) = output_under(ix, kx, g.stride.1, g.dilation.1, g.pad_left, g.out_w) else { continue };
                        multiply_add(acc, &dy[(oy * g.out_w + ox) * c..][..c], &kernel[(ky * g.k_w + kx) * c..][..c]);
                    }
                }
            }
        };
        if parallel(g) {
            dx.par_chunks_mut(g.in_w * c).enumerate().for_each(row);
        } else {
            dx.chunks_mut(g.in_w * c).enumerate().for_each(row);
        }
    }

    pub fn kernel_gradient(g: &Geometry, x: &[f32], dy: &[f32], dkernel: &mut [f32]) {
        let c = g.channels;
        let cell = |(cell, acc): (usize, &mut [f32])| {
            let (ky, kx) = (cell / g.k_w, cell % g.k_w);
            acc.fill(0.0);
            for b in 0..g.batch {
                let (x, dy) = (&x[b * g.in_size()..], &dy[b * g.positions() * c..]);
                for oy in 0..g.out_h {
                    let Some(iy) = g.source_row(oy, ky) else { continue };
                    for ox in 0..g.out_w {
                        let Some(ix) = g.source_column(ox, kx) else { continue };
                        let at = (iy * g.in_w + ix) * c;
                        multiply_add(acc, &x[at..at + c], &dy[(oy * g.out_w + ox) * c..][..c]);
                    }
                }
            }
        };
        if parallel(g) {
            dkernel.par_chunks_mut(c).enumerate().for_each(cell);
        } else {
            dkernel.chunks_mut(c).enumerate().for_each(cell);
        }
    }
}

/// Rounds of alternating old/new timings: each round times every variant once (its median
/// over repeated calls), so a loaded machine's slow spells fall on both.
const ROUNDS: usize = 3;

/// Times `before` and `now` alternately for ROUNDS rounds; prints the median round of each
/// and their ratio; returns (before, now) seconds.
fn before_and_now(name: &str, flops: f64, mut before: impl FnMut(), mut now: impl FnMut()) -> (f64, f64) {
    let (mut b, mut n) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        b.push(median_seconds(&mut before));
        n.push(median_seconds(&mut now));
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (b, n) = (median(b), median(n));
    report(&format!("{name} before"), Work::Flops(flops), b);
    report(&format!("{name} now"), Work::Flops(flops), n);
    println!("{:52} {:8.2}x", format!("{name} now / before speed"), b / n);
    (b, n)
}

fn mobilenet(rng: &mut Rng) {
    println!("-- MobileNetV2's depthwise 3x3 convolutions at batch 1 (and 32): before = the scalar kernel this rewrite replaced, now = the route conv.rs takes; {ROUNDS} alternating rounds, medians");
    // Every depthwise layer of MobileNetV2 at 224x224 (alpha 1), with how often it occurs;
    // Keras pads the stride-2 ones explicitly (ZeroPadding2D, then valid).
    let layers: [(&str, usize, usize, usize, usize); 10] = [
        ("112x112x32", 112, 32, 1, 1),
        ("113x113x96 /2", 113, 96, 2, 1),
        ("56x56x144", 56, 144, 1, 1),
        ("57x57x144 /2", 57, 144, 2, 1),
        ("28x28x192", 28, 192, 1, 2),
        ("29x29x192 /2", 29, 192, 2, 1),
        ("14x14x384", 14, 384, 1, 4),
        ("14x14x576", 14, 576, 1, 2),
        ("15x15x576 /2", 15, 576, 2, 1),
        ("7x7x960", 7, 960, 1, 3),
    ];
    for batch in [1, 32] {
        let mut totals = [0.0; 6];
        for (name, size, channels, stride, count) in layers {
            let padding = if stride == 1 { Padding::Same } else { Padding::Valid };
            let mut l = Layer::new([batch, size, size, channels], 3, stride, padding, channels, channels, rng);
            let name = format!("depthwise b{batch} {name}");
            let flops = l.flops();
            let g = l.g;
            let (x, k, dy) = (l.x.clone(), l.kernel.clone(), l.y.clone());
            let mut y = l.y.clone();
            let (f0, f1) = before_and_now(&format!("{name} forward"), flops, || depthwise_before::forward(&g, &x, &k, &mut y), || l.forward());
            let mut dx = l.dx.clone();
            let (x0, x1) = before_and_now(&format!("{name} input gradient"), flops, || depthwise_before::input_gradient(&g, &dy, &k, &mut dx), || l.input_gradient());
            let mut dk = l.dkernel.clone();
            let (k0, k1) = before_and_now(&format!("{name} kernel gradient"), flops, || depthwise_before::kernel_gradient(&g, &x, &dy, &mut dk), || l.kernel_gradient());
            for (total, t) in totals.iter_mut().zip([f0, f1, x0, x1, k0, k1]) {
                *total += count as f64 * t;
            }
        }
        println!("-- MobileNetV2's depthwise layers at batch {batch}, summed over the network (ms, before -> now):");
        for (pass, i) in [("forward", 0), ("input gradient", 2), ("kernel gradient", 4)] {
            println!("   {pass:40} {:8.3} -> {:8.3} ms ({:.2}x)", totals[i] * 1e3, totals[i + 1] * 1e3, totals[i] / totals[i + 1]);
        }
    }
}

fn winograd_against_the_others(rng: &mut Rng) {
    println!("-- 3x3 stride-1 convolutions: before = direct (up to 64 input channels) or im2col + GEMM, now = Winograd F(2x2, 3x3); {ROUNDS} alternating rounds, medians");
    let shapes: [(&str, usize, usize, usize, Padding); 5] = [
        ("seed conv2 13x13x32 -> 64 valid", 13, 32, 64, Padding::Valid),
        ("resnet 56x56x64 -> 64", 56, 64, 64, Padding::Same),
        ("resnet 28x28x128 -> 128", 28, 128, 128, Padding::Same),
        ("resnet 14x14x256 -> 256", 14, 256, 256, Padding::Same),
        ("resnet 7x7x512 -> 512", 7, 512, 512, Padding::Same),
    ];
    for batch in [1, 32] {
        for (name, size, cin, cout, padding) in shapes {
            let mut l = Layer::new([batch, size, size, cin], 3, 1, padding, 1, cout, rng);
            let other = if cin <= 64 { Route::Direct(Isa::detect()) } else { Route::Columns };
            let n = [other, Route::Winograd].map(|r| r.scratch_len(&l.g, &l.groups).unwrap()).into_iter().max().unwrap();
            l.cols.resize(n, 0.0);
            l.dcols.resize(n, 0.0);
            let name = format!("b{batch} {name}");
            let flops = l.flops();
            let cell = std::cell::RefCell::new(l);
            let via = |route: Route, pass: fn(&mut Layer)| {
                let mut l = cell.borrow_mut();
                l.route = route;
                pass(&mut l);
            };
            before_and_now(&format!("{name} forward"), flops, || via(other, Layer::forward), || via(Route::Winograd, Layer::forward));
            before_and_now(&format!("{name} input gradient"), flops, || via(other, Layer::input_gradient), || via(Route::Winograd, Layer::input_gradient));
            // F(4x4, 3x3) forward against F(2x2, 3x3), at batch 1.
            if batch > 1 {
                continue;
            }
            let mut l = cell.borrow_mut();
            let s = winograd::Shape { batch, in_h: size, in_w: size, in_channels: cin, pad_top: l.g.pad_top, pad_left: l.g.pad_left, out_h: l.g.out_h, out_w: l.g.out_w, out_channels: cout };
            let mut u = vec![0.0; s.kernel_len::<F4>()];
            let mut scratch = vec![0.0; s.scratch_len::<F4>()];
            let Layer { x, kernel, y, .. } = &mut *l;
            let (x, kernel) = (x.clone(), kernel.clone());
            let mut y4 = y.clone();
            drop(l);
            before_and_now(
                &format!("{name} forward F2 vs F4"),
                flops,
                || via(Route::Winograd, Layer::forward),
                || {
                    winograd::transform_kernel::<F4>(&kernel, cin, cout, &mut u);
                    winograd::correlate::<F4>(&s, &x, &u, true, &mut scratch, &mut y4);
                },
            );
        }
    }
}

fn winograd_transformed(rng: &mut Rng) {
    println!("-- 3x3 stride-1 forward at inference: before = Route::of's route, now = Winograd with the kernel transformed ahead; {ROUNDS} alternating rounds, medians");
    let shapes: [(&str, usize, usize); 4] = [("56x56x64", 56, 64), ("28x28x128", 28, 128), ("14x14x256", 14, 256), ("7x7x512", 7, 512)];
    for batch in [1, 32] {
        for (name, size, c) in shapes {
            let mut l = Layer::new([batch, size, size, c], 3, 1, Padding::Same, 1, c, rng);
            let n = [l.route, Route::Winograd].map(|r| r.scratch_len(&l.g, &l.groups).unwrap()).into_iter().max().unwrap();
            l.cols.resize(n, 0.0);
            let s = winograd::Shape { batch, in_h: size, in_w: size, in_channels: c, pad_top: 1, pad_left: 1, out_h: size, out_w: size, out_channels: c };
            let mut u2 = vec![0.0; s.kernel_len::<F2>()];
            winograd::transform_kernel::<F2>(&l.kernel, c, c, &mut u2);
            let mut u4 = vec![0.0; s.kernel_len::<F4>()];
            winograd::transform_kernel::<F4>(&l.kernel, c, c, &mut u4);
            let mut scratch2 = vec![0.0; s.scratch_len::<F2>()];
            let mut scratch4 = vec![0.0; s.scratch_len::<F4>()];
            let (x, mut y) = (l.x.clone(), l.y.clone());
            let name = format!("b{batch} {name} ({:?})", l.route);
            let flops = l.flops();
            let cell = std::cell::RefCell::new(l);
            before_and_now(&format!("{name} F2 transformed"), flops, || cell.borrow_mut().forward(), || winograd::correlate::<F2>(&s, &x, &u2, true, &mut scratch2, &mut y));
            before_and_now(&format!("{name} F4 transformed"), flops, || cell.borrow_mut().forward(), || winograd::correlate::<F4>(&s, &x, &u4, true, &mut scratch4, &mut y));
            if batch == 1 {
                let kernel = cell.borrow().kernel.clone();
                let t = median_seconds(&mut || winograd::transform_kernel::<F2>(&kernel, c, c, &mut u2));
                println!("{:52} {:8.3} ms", format!("{name} F2 kernel transform alone"), t * 1e3);
            }
        }
    }
}

/// A convolution of the blocked section: name, input size, input channels, window, stride,
/// output channels, batches.
type ColumnsShape = (&'static str, usize, usize, usize, usize, usize, &'static [usize]);

fn blocked_against_whole_columns(rng: &mut Rng) {
    println!("-- im2col-route convolutions, forward at inference: before = the whole im2col matrix and one GEMM, now = the blocked route (kernel as stored, then packed ahead); {ROUNDS} alternating rounds, medians");
    let shapes: [ColumnsShape; 7] = [
        ("3x3 28x28x128 -> 128", 28, 128, 3, 1, 128, &[1]),
        ("3x3 14x14x256 -> 256", 14, 256, 3, 1, 256, &[1]),
        ("3x3 7x7x512 -> 512", 7, 512, 3, 1, 512, &[1, 32]),
        ("1x1/2 56x56x256 -> 128", 56, 256, 1, 2, 128, &[1, 32]),
        ("1x1/2 56x56x256 -> 512", 56, 256, 1, 2, 512, &[1, 32]),
        ("1x1/2 28x28x512 -> 1024", 28, 512, 1, 2, 1024, &[1, 32]),
        ("1x1/2 14x14x1024 -> 2048", 14, 1024, 1, 2, 2048, &[1, 32]),
    ];
    for (name, size, cin, window, stride, cout, batches) in shapes {
        for &batch in batches {
            let mut l = Layer::new([batch, size, size, cin], window, stride, Padding::Same, 1, cout, rng);
            assert_eq!(Route::of(&l.g, &l.groups), Route::Columns, "{name}");
            let name = format!("b{batch} {name}{}", if conv::runs_blocked(&l.g, &l.groups) { " (routed blocked)" } else { "" });
            let flops = l.flops();
            // The routed block size, and blocks four times as many rows (fewer repacks of the kernel).
            let (rows, auto) = (l.g.batch * l.g.positions(), conv::block_rows(&l.g));
            let big = (4 * auto).min(rows.div_ceil(kiln_core::threads::num_threads()));
            let mut blocks = vec![0.0; conv::blocked_scratch_len_with(&l.g, big).max(conv::blocked_scratch_len(&l.g))];
            let packed = PackedB::new(StridedRef::new(&l.kernel, l.g.patch(), cout, cout));
            let Layer { g, groups, x, kernel, cols, y, .. } = &mut l;
            let mut y_blocked = y.clone();
            let mut before = || conv::forward_by(Route::Columns, g, *groups, x, kernel, cols, y);
            before_and_now(&format!("{name} blocks of {auto} rows"), flops, &mut before, || conv::forward_blocked(g, x, conv::KernelOperand::Plain(kernel), cout, &mut blocks, &mut y_blocked));
            if big > auto {
                before_and_now(&format!("{name} blocks of {big} rows"), flops, &mut before, || {
                    conv::forward_blocked_with(g, x, conv::KernelOperand::Plain(kernel), cout, big, &mut blocks, &mut y_blocked)
                });
            }
            if std::env::var("KILN_BENCH_PACKED").is_ok() {
                before_and_now(&format!("{name} kernel packed ahead"), flops, &mut before, || conv::forward_blocked(g, x, conv::KernelOperand::Packed(&packed), cout, &mut blocks, &mut y_blocked));
            }
            let (y, y_blocked) = (&l.y, &y_blocked);
            assert!(y.iter().zip(y_blocked).all(|(a, b)| (a - b).abs() <= 1e-3 * (1.0 + a.abs())), "{name}: the routes differ");
        }
    }
}

fn main() {
    let mut rng = Rng::new(0);
    println!("{} threads", kiln_core::threads::num_threads());
    if wanted("seed", &SECTIONS) {
        seed(&mut rng);
    }
    if wanted("resnet", &SECTIONS) {
        resnet(&mut rng);
    }
    if wanted("mobilenet", &SECTIONS) {
        mobilenet(&mut rng);
    }
    if wanted("winograd", &SECTIONS) {
        winograd_against_the_others(&mut rng);
    }
    if wanted("transformed", &SECTIONS) {
        winograd_transformed(&mut rng);
    }
    if wanted("blocked", &SECTIONS) {
        blocked_against_whole_columns(&mut rng);
    }
}
