use std::fmt;

/// What kind of bad input an error reports; the binding hands it to JavaScript as the error's
/// `code`, which TypeScript maps to the `KilnError` subclass of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Shape,
    Value,
    Runtime,
    /// A buffer too large for the machine (TensorFlow's ResourceExhaustedError).
    ResourceExhausted,
}

impl ErrorKind {
    /// Every kind, for the binding's list of codes.
    pub const ALL: [ErrorKind; 4] = [ErrorKind::Shape, ErrorKind::Value, ErrorKind::Runtime, ErrorKind::ResourceExhausted];

    /// The JavaScript error's `code`: the name of the TypeScript class this kind becomes.
    pub fn as_code(self) -> &'static str {
        match self {
            ErrorKind::Shape => "ShapeError",
            ErrorKind::Value => "ValueError",
            ErrorKind::Runtime => "RuntimeError",
            ErrorKind::ResourceExhausted => "ResourceExhaustedError",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KilnError {
    pub kind: ErrorKind,
    pub message: String,
}

impl KilnError {
    pub fn shape(message: impl Into<String>) -> Self {
        KilnError { kind: ErrorKind::Shape, message: message.into() }
    }
    pub fn value(message: impl Into<String>) -> Self {
        KilnError { kind: ErrorKind::Value, message: message.into() }
    }
    pub fn runtime(message: impl Into<String>) -> Self {
        KilnError { kind: ErrorKind::Runtime, message: message.into() }
    }
    pub fn resource_exhausted(message: impl Into<String>) -> Self {
        KilnError { kind: ErrorKind::ResourceExhausted, message: message.into() }
    }
    /// The TypeScript class name this error becomes.
    pub fn class_name(&self) -> &'static str {
        self.kind.as_code()
    }
}

impl fmt::Display for KilnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.class_name(), self.message)
    }
}

impl std::error::Error for KilnError {}

pub type Result<T> = std::result::Result<T, KilnError>;

/// Formats a shape the way Keras prints it in messages: `[32, 28, 28]`.
pub fn shape_str(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// Formats a shape whose axes may be unknown: `[null, 28, 28]`.
pub fn dims_str(dims: &[Option<usize>]) -> String {
    let parts: Vec<String> = dims.iter().map(|d| d.map_or("null".to_string(), |d| d.to_string())).collect();
    format!("[{}]", parts.join(", "))
}
