//! The engine spec, as kiln-nn's TypeScript side sends it (a graph with losses, metrics and an
//! optimizer), from arbitrary text: Engine::new either refuses it with an error or builds an
//! engine that then predicts, evaluates and trains a step without panicking.
//!
//! An input is `{"variables": [[shape]...], "batch": n, "spec": {...}}` (the seed corpus,
//! captured by capture_seeds.mjs) or any other text, read as the spec itself.
#![no_main]
mod common;

use kiln_core::engine::{BatchData, BatchRange};
use kiln_core::graph::{Graph, Op};
use kiln_core::{Engine, Tensor, Variable};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let wrapped = serde_json::from_str::<Value>(text).ok().filter(|v| v.get("spec").is_some());
    let (spec, variable_shapes, batch) = match &wrapped {
        Some(v) => (v["spec"].to_string(), common::shapes(&v["variables"], 64), v["batch"].as_u64().map_or(2, |b| b.min(4) as usize)),
        None => (text.to_string(), vec![vec![2, 2]], 2),
    };
    let Some(variables) = variable_shapes.iter().map(|s| common::tensor(s).map(|t| Variable::new(&t))).collect::<Option<Vec<_>>>() else { return };
    let spec_value = serde_json::from_str::<Value>(&spec).ok();
    let graph = spec_value.as_ref().and_then(|v| v.get("graph")).map(|g| Graph::from_json(&g.to_string()));
    let Ok(mut engine) = Engine::new(&spec, variables) else { return };
    let _ = engine.output_shapes(batch);
    // Running it: inputs of the declared shapes (unknown axes of length 2), when small.
    let Some(Ok(graph)) = graph else { return };
    let mut input_shapes = vec![None; graph.input_count()];
    for node in &graph.nodes {
        if let Op::Input { index, shape } = &node.op {
            if let Some(slot) = input_shapes.get_mut(*index) {
                *slot = Some(shape.iter().enumerate().map(|(i, d)| if i == 0 { batch } else { d.unwrap_or(2) }).collect::<Vec<usize>>());
            }
        }
    }
    let Some(input_shapes) = input_shapes.into_iter().collect::<Option<Vec<_>>>() else { return };
    if common::planned_values(&graph, batch, &input_shapes, &variable_shapes).is_none_or(|n| n > common::MAX_VALUES) {
        return;
    }
    let Some(inputs) = input_shapes.iter().map(|s| common::tensor(s)).collect::<Option<Vec<_>>>() else { return };
    let inputs: Vec<&Tensor> = inputs.iter().collect();
    let Ok(outputs) = engine.predict(&inputs, batch) else { return };
    // One target per loss, shaped like its output.
    let loss_outputs: Vec<usize> = spec_value.as_ref().and_then(|v| v["losses"].as_array()).map(|l| l.iter().map(|l| l["output"].as_u64().unwrap_or(0) as usize).collect()).unwrap_or_default();
    let Some(targets) = loss_outputs.iter().map(|&o| outputs.get(o).and_then(|t| common::tensor(t.shape()))).collect::<Option<Vec<_>>>() else { return };
    let targets: Vec<&Tensor> = targets.iter().collect();
    if engine.check_data(&inputs, &targets).is_err() {
        return;
    }
    let data = BatchData::new(&inputs, &targets);
    let _ = engine.evaluate_batches(&data, BatchRange::new(batch, 0, 1));
    let order: Vec<u32> = (0..batch as u32).collect();
    let _ = engine.train_batches(&data, &order, BatchRange::new(batch.max(1), 0, 1), &[0.01]);
});
