//! A value bound to a statement's marker: user text only ever reaches SQL this way.

/// A bound value for dynamically built SQL.
#[derive(Clone, Debug, PartialEq)]
pub enum Bind {
    Null,
    Int(i64),
    Text(String),
    /// Bytes (an uploaded file).
    Blob(Vec<u8>),
}

impl From<i64> for Bind {
    fn from(value: i64) -> Bind {
        Bind::Int(value)
    }
}

impl From<&str> for Bind {
    fn from(value: &str) -> Bind {
        Bind::Text(value.to_string())
    }
}

impl Bind {
    pub fn opt_int(value: Option<i64>) -> Bind {
        value.map_or(Bind::Null, Bind::Int)
    }

    pub fn opt_text(value: Option<String>) -> Bind {
        value.map_or(Bind::Null, Bind::Text)
    }
}
