//! Recurrent layers over x [batch, steps, features], with Keras' cells and weight layouts:
//! SimpleRNN (kernel [F, U]), LSTM (gates i, f, c, o: [F, 4U]), GRU with reset_after (gates
//! z, r, h: [F, 3U], bias [2, 3U] = input and recurrent biases). The input projection of all
//! steps is one GEMM; each step adds h_{t-1} · recurrent_kernel. Backpropagation through time
//! mirrors it: per-step recurrent GEMMs, then one GEMM each for the kernel and input gradients.
//! A mask [batch, steps] (0 = skip) carries the states through skipped steps, as Keras does;
//! with `return_state` each sample's output row is followed by its final states (h, then c).
//! Keras' `recurrent_dropout` (its cells' implementation 1): while training, each gate block g
//! reads (x_t ∘ m_g) · W_g and (h_{t-1} ∘ r_g) · U_g, masks drawn once per call and shared by
//! every step (input masks only when `dropout` > 0 too).
use super::gemm::{gemm, gemm_strided, MatRef, StridedRef};
use super::unary::UnaryOp;
use crate::rng::Rng;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Cell {
    Simple,
    Lstm,
    Gru,
}

impl Cell {
    /// Gate blocks in the kernels.
    pub fn gates(self) -> usize {
        match self {
            Cell::Simple => 1,
            Cell::Lstm => 4,
            Cell::Gru => 3,
        }
    }
    /// States carried from step to step: h, and c for LSTM.
    pub fn state_count(self) -> usize {
        if self == Cell::Lstm {
            2
        } else {
            1
        }
    }
    /// Rows of the bias: GRU keeps separate input and recurrent biases.
    pub fn bias_rows(self) -> usize {
        if self == Cell::Gru {
            2
        } else {
            1
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct RnnConfig {
    pub cell: Cell,
    pub batch: usize,
    pub steps: usize,
    pub features: usize,
    pub units: usize,
    pub activation: UnaryOp,
    pub recurrent_activation: UnaryOp,
    pub go_backwards: bool,
    pub return_sequences: bool,
    /// A mask [batch, steps] is given (after the weights).
    pub masked: bool,
    /// Append the final states to each sample's output.
    pub return_state: bool,
    /// Masked steps output zeros instead of the carried output (Bidirectional's sequences).
    pub zero_output_for_mask: bool,
}

/// What the forward pass keeps for the backward pass.
pub struct RnnState {
    /// x · kernel + input bias, [batch, steps, G·U].
    pub projected: Vec<f32>,
    /// h_0 .. h_T by processing order, each [batch, U].
    pub hidden: Vec<f32>,
    /// LSTM: c_0 .. c_T; unused otherwise.
    pub cells: Vec<f32>,
    /// Activated gates per step, [steps, batch, G·U]; GRU also keeps h_{t-1}·U_h + b in `recurrent_h`.
    pub gates: Vec<f32>,
    pub recurrent_h: Vec<f32>,
    /// Scratch for one step's h_{t-1} · recurrent_kernel, [batch, G·U].
    step: Vec<f32>,
    /// The dropout masks of the current training call, if any.
    pub dropout: Option<DropoutMasks>,
}

/// Per-gate inverted-dropout masks (0 or 1 / (1 - rate)) and the buffers that apply them.
pub struct DropoutMasks {
    /// [G, batch, features], empty when the inputs keep all features.
    pub input: Vec<f32>,
    /// [G, batch, units].
    pub recurrent: Vec<f32>,
    /// x ∘ m_g over all steps, [batch·steps, features]; h ∘ r_g, [batch, units].
    masked_x: Vec<f32>,
    masked_h: Vec<f32>,
    /// A gate block's gradient before its mask: [batch·steps, features] and [batch, units].
    unmasked_dx: Vec<f32>,
    unmasked_dh: Vec<f32>,
}

impl DropoutMasks {
    /// Fixed masks (tests); `input` empty for none.
    pub fn new(c: &RnnConfig, input: Vec<f32>, recurrent: Vec<f32>) -> DropoutMasks {
        let (b, t, f, u) = (c.batch, c.steps, c.features, c.units);
        assert!(input.is_empty() || input.len() == c.cell.gates() * b * f, "input masks must be [gates, batch, features]");
        assert_eq!(recurrent.len(), c.cell.gates() * b * u, "recurrent masks must be [gates, batch, units]");
        let with_input = !input.is_empty();
        DropoutMasks {
            input,
            recurrent,
            masked_x: if with_input { vec![0.0; b * t * f] } else { Vec::new() },
            masked_h: vec![0.0; b * u],
            unmasked_dx: if with_input { vec![0.0; b * t * f] } else { Vec::new() },
            unmasked_dh: vec![0.0; b * u],
        }
    }

    /// Draws fresh masks: each value kept with probability 1 - rate, scaled by 1 / (1 - rate).
    pub fn draw(c: &RnnConfig, dropout: f32, recurrent_dropout: f32, rng: &mut Rng) -> DropoutMasks {
        let g = c.cell.gates();
        let input = if dropout > 0.0 { vec![0.0; g * c.batch * c.features] } else { Vec::new() };
        let mut masks = DropoutMasks::new(c, input, vec![0.0; g * c.batch * c.units]);
        masks.redraw(dropout, recurrent_dropout, rng);
        masks
    }

    /// New values in the same buffers (each training call), so steady-state steps allocate nothing.
    pub fn redraw(&mut self, dropout: f32, recurrent_dropout: f32, rng: &mut Rng) {
        for (mask, rate) in [(&mut self.input, dropout), (&mut self.recurrent, recurrent_dropout)] {
            mask.iter_mut().for_each(|m| *m = if rng.next_f32() < rate { 0.0 } else { 1.0 / (1.0 - rate) });
        }
    }
}

/// `out` (rows × cols) = `values` ∘ mask, the mask [batch, cols] repeated over `steps` rows per sample.
fn apply_mask(values: &[f32], mask: &[f32], steps: usize, cols: usize, out: &mut [f32]) {
    for ((row, value), target) in values.chunks(cols).enumerate().zip(out.chunks_mut(cols)) {
        let m = &mask[(row / steps) * cols..][..cols];
        target.iter_mut().zip(value).zip(m).for_each(|((o, v), m)| *o = v * m);
    }
}

/// The backward pass's working memory: d(projected) like `projected`; dh, dc [batch, U];
/// d(h·U + b_rec) [batch, G·U]; the GRU's recurrent-bias gradient [G·U].
pub struct RnnScratch {
    dprojected: Vec<f32>,
    dh: Vec<f32>,
    dc: Vec<f32>,
    drec: Vec<f32>,
    dbias_rec: Vec<f32>,
}

impl RnnScratch {
    /// After backward: the gradients reaching the first states h_0 (and c_0 for LSTM).
    pub fn initial_state_grads(&self) -> [&[f32]; 2] {
        [&self.dh, &self.dc]
    }

    pub fn new(c: &RnnConfig) -> RnnScratch {
        let (b, t, u, gu) = (c.batch, c.steps, c.units, c.cell.gates() * c.units);
        RnnScratch { dprojected: vec![0.0; b * t * gu], dh: vec![0.0; b * u], dc: vec![0.0; b * u], drec: vec![0.0; b * gu], dbias_rec: vec![0.0; gu] }
    }
}

impl RnnState {
    /// Sets the first states (h_0, then c_0 for LSTM), zero unless given.
    pub fn set_initial(&mut self, states: &[&[f32]]) {
        let n = states.first().map_or(0, |h| h.len());
        for (k, target) in [&mut self.hidden, &mut self.cells].into_iter().enumerate() {
            if let Some(state) = states.get(k) {
                target[..n].copy_from_slice(state);
            }
        }
    }

    pub fn new(c: &RnnConfig) -> RnnState {
        let (b, t, u, gu) = (c.batch, c.steps, c.units, c.cell.gates() * c.units);
        RnnState {
            projected: vec![0.0; b * t * gu],
            hidden: vec![0.0; (t + 1) * b * u],
            cells: if c.cell == Cell::Lstm { vec![0.0; (t + 1) * b * u] } else { Vec::new() },
            gates: vec![0.0; t * b * gu],
            recurrent_h: if c.cell == Cell::Gru { vec![0.0; t * b * u] } else { Vec::new() },
            step: vec![0.0; b * gu],
            dropout: None,
        }
    }
}

impl RnnConfig {
    pub fn output_len(&self) -> usize {
        self.batch * self.sample_width()
    }
    /// Values per sample of the layer's output proper: the sequence, or the last step.
    pub fn output_width(&self) -> usize {
        self.units * if self.return_sequences { self.steps } else { 1 }
    }
    /// States returned with `return_state`: h, and c for LSTM.
    pub fn state_count(&self) -> usize {
        if self.return_state {
            self.cell.state_count()
        } else {
            0
        }
    }
    /// Values per sample of the op's output: the output, then the states.
    pub fn sample_width(&self) -> usize {
        self.output_width() + self.state_count() * self.units
    }
    /// Whether sample `i` skips input step `t`.
    fn skips(&self, mask: Option<&[f32]>, i: usize, t: usize) -> bool {
        mask.is_some_and(|m| m[i * self.steps + t] == 0.0)
    }
    /// The input step read at processing position `p`.
    fn time(&self, p: usize) -> usize {
        if self.go_backwards {
            self.steps - 1 - p
        } else {
            p
        }
    }
}

/// y = the layer's output ([batch, steps, U] in processing order, or [batch, U]), each
/// sample's row followed by its final states with `return_state`.
#[allow(clippy::too_many_arguments)]
pub fn forward(c: &RnnConfig, x: &[f32], kernel: &[f32], recurrent: &[f32], bias: &[f32], mask: Option<&[f32]>, s: &mut RnnState, y: &mut [f32]) {
    let width = c.sample_width();
    let (b, u, gu) = (c.batch, c.units, c.cell.gates() * c.units);
    let (f, rows) = (c.features, b * c.steps);
    match s.dropout.as_mut() {
        Some(d) if !d.input.is_empty() => {
            for g in 0..c.cell.gates() {
                apply_mask(x, &d.input[g * b * f..][..b * f], c.steps, f, &mut d.masked_x);
                gemm_strided(1.0, StridedRef::new(&d.masked_x, rows, f, f), StridedRef::new(&kernel[g * u..], f, u, gu), 0.0, &mut s.projected[g * u..], gu);
            }
        }
        _ => gemm(1.0, MatRef::new(x, rows, f), MatRef::new(kernel, f, gu), 0.0, &mut s.projected),
    }
    for row in s.projected.chunks_mut(gu) {
        row.iter_mut().zip(&bias[..gu]).for_each(|(v, bv)| *v += bv);
    }
    let (act, rec_act) = (c.activation, c.recurrent_activation);
    for p in 0..c.steps {
        let t = c.time(p);
        let (done, rest) = s.hidden.split_at_mut((p + 1) * b * u);
        let h_prev = &done[p * b * u..];
        let h = &mut rest[..b * u];
        match s.dropout.as_mut() {
            Some(d) => {
                for g in 0..c.cell.gates() {
                    apply_mask(h_prev, &d.recurrent[g * b * u..][..b * u], 1, u, &mut d.masked_h);
                    gemm_strided(1.0, StridedRef::new(&d.masked_h, b, u, u), StridedRef::new(&recurrent[g * u..], u, u, gu), 0.0, &mut s.step[g * u..], gu);
                }
            }
            None => gemm(1.0, MatRef::new(h_prev, b, u), MatRef::new(recurrent, u, gu), 0.0, &mut s.step),
        }
        let gates = &mut s.gates[p * b * gu..(p + 1) * b * gu];
        for i in 0..b {
            let z = &s.projected[(i * c.steps + t) * gu..][..gu];
            let r = &s.step[i * gu..][..gu];
            let g = &mut gates[i * gu..][..gu];
            let hi = &mut h[i * u..][..u];
            if c.skips(mask, i, t) {
                hi.copy_from_slice(&h_prev[i * u..][..u]);
                if c.cell == Cell::Lstm {
                    let (c_done, c_rest) = s.cells.split_at_mut((p + 1) * b * u);
                    c_rest[i * u..][..u].copy_from_slice(&c_done[(p * b + i) * u..][..u]);
                }
                continue;
            }
            match c.cell {
                Cell::Simple => {
                    for k in 0..u {
                        g[k] = act.apply(z[k] + r[k]);
                        hi[k] = g[k];
                    }
                }
                Cell::Lstm => {
                    let (c_done, c_rest) = s.cells.split_at_mut((p + 1) * b * u);
                    let (c_prev, c_new) = (&c_done[(p * b + i) * u..][..u], &mut c_rest[i * u..][..u]);
                    for k in 0..u {
                        let ig = rec_act.apply(z[k] + r[k]);
                        let fg = rec_act.apply(z[u + k] + r[u + k]);
                        let cg = act.apply(z[2 * u + k] + r[2 * u + k]);
                        let og = rec_act.apply(z[3 * u + k] + r[3 * u + k]);
                        c_new[k] = fg * c_prev[k] + ig * cg;
                        hi[k] = og * act.apply(c_new[k]);
                        (g[k], g[u + k], g[2 * u + k], g[3 * u + k]) = (ig, fg, cg, og);
                    }
                }
                Cell::Gru => {
                    let rb = &bias[gu..2 * gu];
                    let hp = &h_prev[i * u..][..u];
                    let rh = &mut s.recurrent_h[(p * b + i) * u..][..u];
                    for k in 0..u {
                        let zg = rec_act.apply(z[k] + r[k] + rb[k]);
                        let rg = rec_act.apply(z[u + k] + r[u + k] + rb[u + k]);
                        rh[k] = r[2 * u + k] + rb[2 * u + k];
                        let hh = act.apply(z[2 * u + k] + rg * rh[k]);
                        hi[k] = zg * hp[k] + (1.0 - zg) * hh;
                        (g[k], g[u + k], g[2 * u + k]) = (zg, rg, hh);
                    }
                }
            }
        }
        if c.return_sequences {
            for i in 0..b {
                let out = &mut y[i * width + p * u..][..u];
                if c.zero_output_for_mask && c.skips(mask, i, t) {
                    out.fill(0.0);
                } else {
                    out.copy_from_slice(&h[i * u..][..u]);
                }
            }
        }
    }
    let last = c.steps * b * u;
    for i in 0..b {
        let row = &mut y[i * width..][..width];
        let h_last = &s.hidden[last + i * u..][..u];
        if !c.return_sequences {
            row[..u].copy_from_slice(h_last);
        }
        if c.return_state {
            let states = &mut row[c.output_width()..];
            states[..u].copy_from_slice(h_last);
            if c.cell == Cell::Lstm {
                states[u..2 * u].copy_from_slice(&s.cells[last + i * u..][..u]);
            }
        }
    }
}

/// Where backward adds (+=) the gradients of the inputs that need one.
pub struct RnnGrads<'a> {
    pub dx: Option<&'a mut [f32]>,
    pub dkernel: Option<&'a mut [f32]>,
    pub drecurrent: Option<&'a mut [f32]>,
    pub dbias: Option<&'a mut [f32]>,
}

/// Backpropagation through time from dy; `s` holds the forward pass of the same inputs.
#[allow(clippy::too_many_arguments)]
pub fn backward(c: &RnnConfig, x: &[f32], kernel: &[f32], recurrent: &[f32], mask: Option<&[f32]>, s: &mut RnnState, scratch: &mut RnnScratch, dy: &[f32], g: RnnGrads) {
    let (b, u, gu) = (c.batch, c.units, c.cell.gates() * c.units);
    let width = c.sample_width();
    let (act, rec_act) = (c.activation, c.recurrent_activation);
    // dh: the gradient reaching h_p from later steps and the output; drec: d(h_{p-1}·U + b_rec).
    let RnnScratch { dprojected, dh, dc, drec, dbias_rec } = scratch;
    dh.fill(0.0);
    dc.fill(0.0);
    dbias_rec.fill(0.0);
    let RnnGrads { dx: mut dx_out, dkernel: mut dkernel_out, mut drecurrent, dbias: dbias_out } = g;
    for i in 0..b {
        let row = &dy[i * width..][..width];
        let dhi = &mut dh[i * u..][..u];
        if !c.return_sequences {
            dhi.copy_from_slice(&row[..u]);
        }
        if c.return_state {
            let states = &row[c.output_width()..];
            dhi.iter_mut().zip(&states[..u]).for_each(|(d, g)| *d += g);
            if c.cell == Cell::Lstm {
                dc[i * u..][..u].copy_from_slice(&states[u..2 * u]);
            }
        }
    }
    for p in (0..c.steps).rev() {
        let t = c.time(p);
        if c.return_sequences {
            for i in 0..b {
                if !(c.zero_output_for_mask && c.skips(mask, i, t)) {
                    dh[i * u..][..u].iter_mut().zip(&dy[i * width + p * u..][..u]).for_each(|(d, g)| *d += g);
                }
            }
        }
        let h_prev = &s.hidden[p * b * u..(p + 1) * b * u];
        let gates = &s.gates[p * b * gu..(p + 1) * b * gu];
        for i in 0..b {
            let gt = &gates[i * gu..][..gu];
            let dz = &mut dprojected[(i * c.steps + t) * gu..][..gu];
            let dr = &mut drec[i * gu..][..gu];
            let dhi = &mut dh[i * u..][..u];
            if c.skips(mask, i, t) {
                // h_p = h_{p-1} (and c): the gradient passes through unchanged.
                dz.fill(0.0);
                dr.fill(0.0);
                continue;
            }
            match c.cell {
                Cell::Simple => {
                    for k in 0..u {
                        let d = dhi[k] * act.derivative(gt[k], gt[k]);
                        dz[k] = d;
                        dr[k] = d;
                        dhi[k] = 0.0;
                    }
                }
                Cell::Lstm => {
                    let c_prev = &s.cells[(p * b + i) * u..][..u];
                    let c_now = &s.cells[((p + 1) * b + i) * u..][..u];
                    let dci = &mut dc[i * u..][..u];
                    for k in 0..u {
                        let (ig, fg, cg, og) = (gt[k], gt[u + k], gt[2 * u + k], gt[3 * u + k]);
                        let tc = act.apply(c_now[k]);
                        let d_o = dhi[k] * tc;
                        let d_c = dci[k] + dhi[k] * og * act.derivative(c_now[k], tc);
                        let (d_i, d_f, d_g) = (d_c * cg, d_c * c_prev[k], d_c * ig);
                        dz[k] = d_i * rec_act.derivative(ig, ig);
                        dz[u + k] = d_f * rec_act.derivative(fg, fg);
                        dz[2 * u + k] = d_g * act.derivative(cg, cg);
                        dz[3 * u + k] = d_o * rec_act.derivative(og, og);
                        dci[k] = d_c * fg;
                        dhi[k] = 0.0;
                    }
                    dr.copy_from_slice(dz);
                }
                Cell::Gru => {
                    let hp = &h_prev[i * u..][..u];
                    let rh = &s.recurrent_h[(p * b + i) * u..][..u];
                    for k in 0..u {
                        let (zg, rg, hh) = (gt[k], gt[u + k], gt[2 * u + k]);
                        let d = dhi[k];
                        let d_hh = d * (1.0 - zg) * act.derivative(hh, hh);
                        let d_z = d * (hp[k] - hh) * rec_act.derivative(zg, zg);
                        let d_r = d_hh * rh[k] * rec_act.derivative(rg, rg);
                        dz[k] = d_z;
                        dz[u + k] = d_r;
                        dz[2 * u + k] = d_hh;
                        dr[k] = d_z;
                        dr[u + k] = d_r;
                        dr[2 * u + k] = d_hh * rg;
                        dhi[k] = d * zg; // direct path h_{t-1} -> h_t
                    }
                }
            }
        }
        if let Some(dre) = drecurrent.as_deref_mut() {
            match s.dropout.as_mut() {
                Some(d) => {
                    for g in 0..c.cell.gates() {
                        apply_mask(h_prev, &d.recurrent[g * b * u..][..b * u], 1, u, &mut d.masked_h);
                        gemm_strided(1.0, StridedRef::new(&d.masked_h, b, u, u).t(), StridedRef::new(&drec[g * u..], b, u, gu), 1.0, &mut dre[g * u..], gu);
                    }
                }
                None => gemm(1.0, MatRef::new(h_prev, b, u).t(), MatRef::new(drec, b, gu), 1.0, dre),
            }
        }
        if c.cell == Cell::Gru {
            for row in drec.chunks(gu) {
                dbias_rec.iter_mut().zip(row).for_each(|(d, v)| *d += v);
            }
        }
        match s.dropout.as_mut() {
            Some(d) => {
                for g in 0..c.cell.gates() {
                    gemm_strided(1.0, StridedRef::new(&drec[g * u..], b, u, gu), StridedRef::new(&recurrent[g * u..], u, u, gu).t(), 0.0, &mut d.unmasked_dh, u);
                    let r = &d.recurrent[g * b * u..][..b * u];
                    dh.iter_mut().zip(&d.unmasked_dh).zip(r).for_each(|((dh, v), m)| *dh += v * m);
                }
            }
            None => gemm(1.0, MatRef::new(drec, b, gu), MatRef::new(recurrent, u, gu).t(), 1.0, dh),
        }
    }
    let (f, rows) = (c.features, b * c.steps);
    match s.dropout.as_mut() {
        Some(d) if !d.input.is_empty() => {
            for gate in 0..c.cell.gates() {
                let m = &d.input[gate * b * f..][..b * f];
                if let Some(dk) = dkernel_out.as_deref_mut() {
                    apply_mask(x, m, c.steps, f, &mut d.masked_x);
                    gemm_strided(1.0, StridedRef::new(&d.masked_x, rows, f, f).t(), StridedRef::new(&dprojected[gate * u..], rows, u, gu), 1.0, &mut dk[gate * u..], gu);
                }
                if let Some(dx) = dx_out.as_deref_mut() {
                    gemm_strided(1.0, StridedRef::new(&dprojected[gate * u..], rows, u, gu), StridedRef::new(&kernel[gate * u..], f, u, gu).t(), 0.0, &mut d.unmasked_dx, f);
                    for (row, (target, value)) in dx.chunks_mut(f).zip(d.unmasked_dx.chunks(f)).enumerate() {
                        let mm = &m[(row / c.steps) * f..][..f];
                        target.iter_mut().zip(value).zip(mm).for_each(|((t, v), m)| *t += v * m);
                    }
                }
            }
        }
        _ => {
            if let Some(dk) = dkernel_out {
                gemm(1.0, MatRef::new(x, rows, f).t(), MatRef::new(dprojected, rows, gu), 1.0, dk);
            }
            if let Some(dx) = dx_out {
                gemm(1.0, MatRef::new(dprojected, rows, gu), MatRef::new(kernel, f, gu).t(), 1.0, dx);
            }
        }
    }
    if let Some(db) = dbias_out {
        for row in dprojected.chunks(gu) {
            db[..gu].iter_mut().zip(row).for_each(|(d, v)| *d += v);
        }
        if c.cell == Cell::Gru {
            db[gu..].iter_mut().zip(dbias_rec.iter()).for_each(|(d, v)| *d += v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::check_gradient;
    use crate::rng::Rng;

    fn config(cell: Cell, return_sequences: bool, go_backwards: bool) -> RnnConfig {
        RnnConfig {
            cell,
            batch: 2,
            steps: 3,
            features: 2,
            units: 3,
            activation: UnaryOp::Tanh,
            recurrent_activation: UnaryOp::Sigmoid,
            go_backwards,
            return_sequences,
            masked: false,
            return_state: false,
            zero_output_for_mask: false,
        }
    }

    fn random(n: usize, rng: &mut Rng) -> Vec<f32> {
        (0..n).map(|_| rng.uniform(-0.8, 0.8)).collect()
    }

    #[test]
    fn simple_rnn_matches_the_recurrence_by_hand() {
        // One unit, one feature: h_t = tanh(w x_t + r h_{t-1} + b).
        let c = RnnConfig {
            cell: Cell::Simple,
            batch: 1,
            steps: 2,
            features: 1,
            units: 1,
            activation: UnaryOp::Tanh,
            recurrent_activation: UnaryOp::Sigmoid,
            go_backwards: false,
            return_sequences: true,
            masked: false,
            return_state: false,
            zero_output_for_mask: false,
        };
        let mut s = RnnState::new(&c);
        let mut y = vec![0.0; 2];
        forward(&c, &[1.0, 2.0], &[0.5], &[0.3], &[0.1], None, &mut s, &mut y);
        let h1 = (0.5f32 + 0.1).tanh();
        let h2 = (1.0 + 0.3 * h1 + 0.1f32).tanh();
        assert!((y[0] - h1).abs() < 1e-6 && (y[1] - h2).abs() < 1e-6, "{y:?}");
    }

    /// Checks backward's dx, dkernel, drecurrent and dbias against finite differences of
    /// forward, with fixed dropout masks when `masks` is given.
    #[allow(clippy::too_many_arguments)]
    fn check_all_gradients(name: &str, c: &RnnConfig, mask: Option<&[f32]>, masks: Option<&DropoutMasks>, x: &[f32], k: &[f32], r: &[f32], bias: &[f32]) {
        let run = |x: &[f32], k: &[f32], r: &[f32], bias: &[f32]| {
            let mut s = RnnState::new(c);
            s.dropout = masks.map(|d| DropoutMasks::new(c, d.input.clone(), d.recurrent.clone()));
            let mut y = vec![0.0; c.output_len()];
            forward(c, x, k, r, bias, mask, &mut s, &mut y);
            (y, s)
        };
        let grads = |x: &[f32], k: &[f32], r: &[f32], bias: &[f32], dy: &[f32]| {
            let (_, mut s) = run(x, k, r, bias);
            let mut scratch = RnnScratch::new(c);
            let (mut dx, mut dk, mut dr, mut db) = (vec![0.0; x.len()], vec![0.0; k.len()], vec![0.0; r.len()], vec![0.0; bias.len()]);
            backward(c, x, k, r, mask, &mut s, &mut scratch, dy, RnnGrads { dx: Some(&mut dx), dkernel: Some(&mut dk), drecurrent: Some(&mut dr), dbias: Some(&mut db) });
            (dx, dk, dr, db)
        };
        check_gradient(&format!("{name} dx"), x, |x| run(x, k, r, bias).0, |x, dy| grads(x, k, r, bias, dy).0);
        check_gradient(&format!("{name} dkernel"), k, |k| run(x, k, r, bias).0, |k, dy| grads(x, k, r, bias, dy).1);
        check_gradient(&format!("{name} drecurrent"), r, |r| run(x, k, r, bias).0, |r, dy| grads(x, k, r, bias, dy).2);
        check_gradient(&format!("{name} dbias"), bias, |bias| run(x, k, r, bias).0, |bias, dy| grads(x, k, r, bias, dy).3);
    }

    #[test]
    fn gradients_match_finite_differences_for_every_cell() {
        let mut rng = Rng::new(9);
        // Sample 0 skips step 1, sample 1 skips steps 0 and 2.
        let mask = [1.0, 0.0, 1.0, 0.0, 1.0, 0.0];
        for cell in [Cell::Simple, Cell::Lstm, Cell::Gru] {
            for (seq, back, masked, state, zero) in
                [(true, false, false, false, false), (false, true, false, false, false), (true, false, true, true, false), (false, true, true, true, false), (true, true, true, false, true)]
            {
                let c = RnnConfig { masked, return_state: state, zero_output_for_mask: zero, ..config(cell, seq, back) };
                let m = masked.then_some(&mask[..]);
                let gu = cell.gates() * c.units;
                let x = random(c.batch * c.steps * c.features, &mut rng);
                let k = random(c.features * gu, &mut rng);
                let r = random(c.units * gu, &mut rng);
                let bias = random(cell.bias_rows() * gu, &mut rng);
                let name = format!("{cell:?} seq={seq} back={back} masked={masked} state={state} zero={zero}");
                check_all_gradients(&name, &c, m, None, &x, &k, &r, &bias);
            }
        }
    }

    #[test]
    fn masked_steps_carry_the_states_and_return_state_appends_them() {
        // Skipping step 1 of three gives the states of running steps 0 and 2 alone.
        let mut rng = Rng::new(3);
        let full = RnnConfig { return_state: true, masked: true, ..config(Cell::Lstm, true, false) };
        let (u, f, gu) = (full.units, full.features, 4 * full.units);
        let x = random(full.batch * full.steps * f, &mut rng);
        let (k, r, bias) = (random(f * gu, &mut rng), random(u * gu, &mut rng), random(gu, &mut rng));
        let mut y = vec![0.0; full.output_len()];
        forward(&full, &x, &k, &r, &bias, Some(&[1.0, 0.0, 1.0, 1.0, 0.0, 1.0]), &mut RnnState::new(&full), &mut y);
        let short = RnnConfig { steps: 2, masked: false, ..full };
        let x_short: Vec<f32> = (0..full.batch).flat_map(|i| [0, 2].into_iter().flat_map(move |t| (0..f).map(move |j| (i, t, j)))).map(|(i, t, j)| x[(i * 3 + t) * f + j]).collect();
        let mut y_short = vec![0.0; short.output_len()];
        forward(&short, &x_short, &k, &r, &bias, None, &mut RnnState::new(&short), &mut y_short);
        let (w, ws) = (full.sample_width(), short.sample_width());
        assert_eq!((w, ws), (5 * u, 4 * u));
        for i in 0..full.batch {
            let (row, row_short) = (&y[i * w..][..w], &y_short[i * ws..][..ws]);
            // Step 0 as computed; the skipped step repeats it; step 2; then h and c.
            let expected: Vec<f32> = [&row_short[..u], &row_short[..u], &row_short[u..]].concat();
            assert!(row.iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-6), "{row:?} vs {expected:?}");
            assert_eq!(&row[3 * u..4 * u], &row[2 * u..3 * u], "state h is the last output");
        }
    }

    #[test]
    fn gradients_reach_the_initial_states() {
        let mut rng = Rng::new(21);
        let mask = [1.0, 1.0, 0.0, 0.0, 1.0, 1.0];
        for cell in [Cell::Simple, Cell::Lstm, Cell::Gru] {
            let c = RnnConfig { masked: true, return_state: true, ..config(cell, true, false) };
            let (gu, n) = (cell.gates() * c.units, c.batch * c.units);
            let (x, k, r, bias) = (random(c.batch * c.steps * c.features, &mut rng), random(c.features * gu, &mut rng), random(c.units * gu, &mut rng), random(cell.bias_rows() * gu, &mut rng));
            let first = random(cell.state_count() * n, &mut rng);
            let run = |first: &[f32]| {
                let mut s = RnnState::new(&c);
                s.set_initial(&first.chunks(n).collect::<Vec<_>>());
                let mut y = vec![0.0; c.output_len()];
                forward(&c, &x, &k, &r, &bias, Some(&mask), &mut s, &mut y);
                (y, s)
            };
            check_gradient(
                &format!("{cell:?} initial states"),
                &first,
                |f| run(f).0,
                |f, dy| {
                    let (_, mut s) = run(f);
                    let mut scratch = RnnScratch::new(&c);
                    backward(&c, &x, &k, &r, Some(&mask), &mut s, &mut scratch, dy, RnnGrads { dx: None, dkernel: None, drecurrent: None, dbias: None });
                    scratch.initial_state_grads()[..cell.state_count()].concat()
                },
            );
        }
    }

    /// Inverted-dropout masks with fixed values, from a seeded generator.
    fn fixed_masks(c: &RnnConfig, with_input: bool, rng: &mut Rng) -> DropoutMasks {
        let g = c.cell.gates();
        let mut draw = |n: usize| -> Vec<f32> { (0..n).map(|_| if rng.next_f32() < 0.4 { 0.0 } else { 1.0 / 0.6 }).collect() };
        let input = if with_input { draw(g * c.batch * c.features) } else { Vec::new() };
        let recurrent = draw(g * c.batch * c.units);
        DropoutMasks::new(c, input, recurrent)
    }

    #[test]
    fn recurrent_dropout_gradients_match_finite_differences_with_fixed_masks() {
        let mut rng = Rng::new(17);
        let mask = [1.0, 0.0, 1.0, 1.0, 1.0, 0.0];
        for cell in [Cell::Simple, Cell::Lstm, Cell::Gru] {
            for (seq, back, masked, with_input) in [(true, false, false, true), (false, true, true, true), (true, false, true, false)] {
                let c = RnnConfig { masked, ..config(cell, seq, back) };
                let m = masked.then_some(&mask[..]);
                let gu = cell.gates() * c.units;
                let x = random(c.batch * c.steps * c.features, &mut rng);
                let k = random(c.features * gu, &mut rng);
                let r = random(c.units * gu, &mut rng);
                let bias = random(cell.bias_rows() * gu, &mut rng);
                let masks = fixed_masks(&c, with_input, &mut rng);
                let name = format!("{cell:?} dropout seq={seq} back={back} masked={masked} input={with_input}");
                check_all_gradients(&name, &c, m, Some(&masks), &x, &k, &r, &bias);
            }
        }
    }

    #[test]
    fn dropout_masks_match_a_plain_run_on_masked_inputs_and_ones_change_nothing() {
        // Reference: the same input mask on every gate and recurrent masks of ones is the plain
        // layer run on x ∘ m; and a SimpleRNN by hand with both masks.
        let mut rng = Rng::new(5);
        for cell in [Cell::Simple, Cell::Lstm, Cell::Gru] {
            let c = config(cell, true, false);
            let (b, t, f, u, g) = (c.batch, c.steps, c.features, c.units, cell.gates());
            let gu = g * u;
            let x = random(b * t * f, &mut rng);
            let (k, r, bias) = (random(f * gu, &mut rng), random(u * gu, &mut rng), random(cell.bias_rows() * gu, &mut rng));
            let one: Vec<f32> = (0..b * f).map(|_| if rng.next_f32() < 0.5 { 0.0 } else { 2.0 }).collect();
            let mut s = RnnState::new(&c);
            s.dropout = Some(DropoutMasks::new(&c, one.repeat(g), vec![1.0; g * b * u]));
            let mut y = vec![0.0; c.output_len()];
            forward(&c, &x, &k, &r, &bias, None, &mut s, &mut y);
            let masked_x: Vec<f32> = x.iter().enumerate().map(|(i, v)| v * one[(i / (t * f)) * f + i % f]).collect();
            let mut plain = vec![0.0; c.output_len()];
            forward(&c, &masked_x, &k, &r, &bias, None, &mut RnnState::new(&c), &mut plain);
            assert!(y.iter().zip(&plain).all(|(a, b)| (a - b).abs() < 1e-6), "{cell:?}: {y:?} vs {plain:?}");
        }
        let c = RnnConfig {
            cell: Cell::Simple,
            batch: 1,
            steps: 2,
            features: 2,
            units: 1,
            activation: UnaryOp::Tanh,
            recurrent_activation: UnaryOp::Sigmoid,
            go_backwards: false,
            return_sequences: true,
            masked: false,
            return_state: false,
            zero_output_for_mask: false,
        };
        let mut s = RnnState::new(&c);
        s.dropout = Some(DropoutMasks::new(&c, vec![2.0, 0.0], vec![0.0]));
        let mut y = vec![0.0; 2];
        forward(&c, &[1.0, 5.0, 3.0, 7.0], &[0.5, 0.25], &[0.3], &[0.1], None, &mut s, &mut y);
        // The second feature is dropped, and a zero recurrent mask cuts h_{t-1} off.
        let (h1, h2) = ((2.0f32 * 0.5 + 0.1).tanh(), (6.0f32 * 0.5 + 0.1).tanh());
        assert!((y[0] - h1).abs() < 1e-6 && (y[1] - h2).abs() < 1e-6, "{y:?}");
    }

    #[test]
    fn drawn_masks_keep_one_minus_the_rate_scaled_up() {
        let c = config(Cell::Lstm, true, false);
        let masks = DropoutMasks::draw(&RnnConfig { batch: 500, ..c }, 0.25, 0.5, &mut Rng::new(1));
        let kept = |m: &[f32], scale: f32| {
            assert!(m.iter().all(|&v| v == 0.0 || (v - scale).abs() < 1e-6));
            m.iter().filter(|&&v| v > 0.0).count() as f32 / m.len() as f32
        };
        assert!((kept(&masks.input, 1.0 / 0.75) - 0.75).abs() < 0.03);
        assert!((kept(&masks.recurrent, 2.0) - 0.5).abs() < 0.03);
        assert!(DropoutMasks::draw(&c, 0.0, 0.5, &mut Rng::new(1)).input.is_empty());
    }
}
