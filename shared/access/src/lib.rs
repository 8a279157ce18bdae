//! What a key is and what it may do: its [`Environment`] and its [`Scopes`]. Dependency-free, so the store
//! can type its records with them, the routes can name the scope they need, and the auth crate can check
//! them, all with the same values; and [`RequestFacts`], what the activity log keeps of the request behind a
//! change, which the HTTP layer reads and the store writes.

mod environment;
mod request;
mod scope;

pub use environment::Environment;
pub use request::RequestFacts;
pub use scope::{Scope, ScopeError, Scopes};
