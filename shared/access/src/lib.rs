//! What a key is and what it may do: its [`Environment`], its [`Scopes`] and where it may be used from
//! ([`AllowedIps`]). Dependency-free, so the store can type its records with them, the routes can name the
//! scope they need, and the auth crate can check them, all with the same values; and [`RequestFacts`], what
//! the activity log keeps of the request behind a change, which the HTTP layer reads and the store writes.

mod allowed_ips;
mod environment;
mod request;
mod scope;

pub use allowed_ips::{AllowedIps, AllowedIpsError, IpBlock, IpBlockError, MAX_ALLOWED_IPS};
pub use environment::Environment;
pub use request::RequestFacts;
pub use scope::{Scope, ScopeError, Scopes};
