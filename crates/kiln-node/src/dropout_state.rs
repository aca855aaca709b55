//! The engine's dropout stream for saving and loading: its generator state as 64 hex digits
//! (four 64-bit words), so a loaded model draws the masks the saved one would have drawn next.
use crate::engine::{lock, NativeEngine};
use crate::error::Result;
use crate::error::{guard, to_js, value_error};
use napi_derive::napi;

#[napi]
impl NativeEngine {
    /// The dropout stream's state, as 64 hex digits.
    #[napi]
    pub fn dropout_state(&self) -> String {
        lock(&self.inner).dropout_state().iter().map(|word| format!("{word:016x}")).collect()
    }

    /// Continues the dropout stream from a state `dropoutState` returned.
    #[napi]
    pub fn set_dropout_state(&self, state: String) -> Result<()> {
        let words: Option<Vec<u64>> = (state.len() == 64 && state.is_ascii()).then(|| (0..4).map(|i| u64::from_str_radix(&state[i * 16..i * 16 + 16], 16).ok()).collect()).flatten();
        let Some(words) = words else {
            return Err(value_error(format!("The dropout stream state must be 64 hex digits, got {:?}", state.chars().take(80).collect::<String>())));
        };
        guard(|| lock(&self.inner).set_dropout_state([words[0], words[1], words[2], words[3]]).map_err(to_js))
    }
}
