//! What a key is and what it may do: its [`Environment`] and its [`Scopes`]. Dependency-free, so the store
//! can type its records with them, the routes can name the scope they need, and the auth crate can check
//! them, all with the same values.

mod environment;
mod scope;

pub use environment::Environment;
pub use scope::{Scope, ScopeError, Scopes};
