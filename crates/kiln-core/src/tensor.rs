use crate::error::{shape_str, KilnError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    Float32,
    Int32,
    Uint8,
}

impl DType {
    pub fn parse(name: &str) -> Result<DType> {
        match name {
            "float32" => Ok(DType::Float32),
            "int32" => Ok(DType::Int32),
            "uint8" => Ok(DType::Uint8),
            other => Err(KilnError::value(format!("Unknown dtype '{other}'. Valid dtypes: 'float32', 'int32', 'uint8'"))),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            DType::Float32 => "float32",
            DType::Int32 => "int32",
            DType::Uint8 => "uint8",
        }
    }
    pub fn byte_size(self) -> usize {
        match self {
            DType::Float32 | DType::Int32 => 4,
            DType::Uint8 => 1,
        }
    }
}

/// The element buffer of a tensor, one variant per dtype.
#[derive(Debug, Clone, PartialEq)]
pub enum Storage {
    F32(Vec<f32>),
    I32(Vec<i32>),
    U8(Vec<u8>),
}

impl Storage {
    pub fn len(&self) -> usize {
        match self {
            Storage::F32(v) => v.len(),
            Storage::I32(v) => v.len(),
            Storage::U8(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn dtype(&self) -> DType {
        match self {
            Storage::F32(_) => DType::Float32,
            Storage::I32(_) => DType::Int32,
            Storage::U8(_) => DType::Uint8,
        }
    }
}

/// An immutable n-dimensional array in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    shape: Vec<usize>,
    storage: Storage,
}

pub fn element_count(shape: &[usize]) -> usize {
    shape.iter().product()
}

impl Tensor {
    pub fn new(shape: Vec<usize>, storage: Storage) -> Result<Tensor> {
        let expected = crate::alloc::checked_element_count(&shape)?;
        if expected != storage.len() {
            return Err(KilnError::shape(format!("A tensor of shape {} needs {} values, got {}", shape_str(&shape), expected, storage.len())));
        }
        Ok(Tensor { shape, storage })
    }
    pub fn from_f32(shape: Vec<usize>, data: Vec<f32>) -> Result<Tensor> {
        Tensor::new(shape, Storage::F32(data))
    }
    pub fn zeros(shape: Vec<usize>) -> Tensor {
        let n = element_count(&shape);
        Tensor { shape, storage: Storage::F32(vec![0.0; n]) }
    }
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    pub fn rank(&self) -> usize {
        self.shape.len()
    }
    pub fn size(&self) -> usize {
        self.storage.len()
    }
    pub fn dtype(&self) -> DType {
        self.storage.dtype()
    }
    pub fn storage(&self) -> &Storage {
        &self.storage
    }
    pub fn into_storage(self) -> Storage {
        self.storage
    }
    pub fn byte_size(&self) -> usize {
        self.size() * self.dtype().byte_size()
    }
    /// The values as float32, borrowing when they already are.
    pub fn to_f32(&self) -> std::borrow::Cow<'_, [f32]> {
        match &self.storage {
            Storage::F32(v) => std::borrow::Cow::Borrowed(v),
            Storage::I32(v) => std::borrow::Cow::Owned(v.iter().map(|&x| x as f32).collect()),
            Storage::U8(v) => std::borrow::Cow::Owned(v.iter().map(|&x| x as f32).collect()),
        }
    }
    /// The float32 buffer, or an error naming the argument when the dtype differs.
    pub fn f32_data(&self, what: &str) -> Result<&[f32]> {
        match &self.storage {
            Storage::F32(v) => Ok(v),
            other => Err(KilnError::value(format!("{what} must be float32, got {}", other.dtype().name()))),
        }
    }
    pub fn astype(&self, dtype: DType) -> Tensor {
        let storage = match dtype {
            DType::Float32 => Storage::F32(self.to_f32().into_owned()),
            // Float to integer truncates toward zero, as numpy's astype does.
            DType::Int32 => Storage::I32(match &self.storage {
                Storage::I32(v) => v.clone(),
                Storage::U8(v) => v.iter().map(|&x| x as i32).collect(),
                Storage::F32(v) => v.iter().map(|&x| x as i32).collect(),
            }),
            DType::Uint8 => Storage::U8(match &self.storage {
                Storage::U8(v) => v.clone(),
                Storage::I32(v) => v.iter().map(|&x| x as u8).collect(),
                Storage::F32(v) => v.iter().map(|&x| x as u8).collect(),
            }),
        };
        Tensor { shape: self.shape.clone(), storage }
    }
    /// Same values, new shape; one dimension may be `None` (Keras' -1) and is inferred.
    pub fn reshape(&self, shape: &[Option<usize>]) -> Result<Tensor> {
        let new_shape = resolve_reshape(&self.shape, shape)?;
        Ok(Tensor { shape: new_shape, storage: self.storage.clone() })
    }
    /// Rows `begin..begin+count` along the first axis (a cheap contiguous slice).
    pub fn rows(&self, begin: usize, count: usize) -> Tensor {
        let row = if self.shape.is_empty() { 1 } else { element_count(&self.shape[1..]) };
        let (a, b) = (begin * row, (begin + count) * row);
        let storage = match &self.storage {
            Storage::F32(v) => Storage::F32(v[a..b].to_vec()),
            Storage::I32(v) => Storage::I32(v[a..b].to_vec()),
            Storage::U8(v) => Storage::U8(v[a..b].to_vec()),
        };
        let mut shape = self.shape.clone();
        shape[0] = count;
        Tensor { shape, storage }
    }
}

/// Resolves a reshape target with at most one unknown dimension against a source shape.
pub fn resolve_reshape(from: &[usize], to: &[Option<usize>]) -> Result<Vec<usize>> {
    let total = element_count(from);
    let unknown = to.iter().filter(|d| d.is_none()).count();
    let known = crate::alloc::checked_element_count(&to.iter().flatten().copied().collect::<Vec<_>>())?;
    let describe = || {
        let parts: Vec<String> = to.iter().map(|d| d.map(|v| v.to_string()).unwrap_or("-1".into())).collect();
        format!("[{}]", parts.join(", "))
    };
    match unknown {
        0 if known == total => Ok(to.iter().map(|d| d.unwrap()).collect()),
        1 if known > 0 && total.is_multiple_of(known) => Ok(to.iter().map(|d| d.unwrap_or(total / known)).collect()),
        0 | 1 => Err(KilnError::shape(format!("Cannot reshape a tensor of shape {} ({} values) to {}", shape_str(from), total, describe()))),
        _ => Err(KilnError::value(format!("reshape: only one dimension can be -1, got {}", describe()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reshape_infers_the_unknown_dimension() {
        let t = Tensor::from_f32(vec![2, 3, 4], (0..24).map(|v| v as f32).collect()).unwrap();
        assert_eq!(t.reshape(&[None, Some(4)]).unwrap().shape(), &[6, 4]);
        assert!(t.reshape(&[Some(5), None]).is_err());
        assert!(t.reshape(&[None, None]).is_err());
    }

    #[test]
    fn astype_truncates_like_numpy() {
        let t = Tensor::from_f32(vec![3], vec![1.7, -1.7, 255.0]).unwrap();
        assert_eq!(t.astype(DType::Int32).storage(), &Storage::I32(vec![1, -1, 255]));
        assert_eq!(t.astype(DType::Uint8).astype(DType::Float32).to_f32()[2], 255.0);
    }
}
