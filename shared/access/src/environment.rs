//! The two environments a key lives in.

/// The two kinds of key: `live` counts against billing, `test` is the free sandbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Environment {
    Live,
    Test,
}

impl Environment {
    /// The name used in keys and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Live => "live",
            Environment::Test => "test",
        }
    }

    /// The environment named exactly `live` or `test`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "live" => Some(Environment::Live),
            "test" => Some(Environment::Test),
            _ => None,
        }
    }
}
