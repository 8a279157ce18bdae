//! The shared auth crate: every function that needs to know who is calling asks [`authenticate`].
//!
//! A key is `mem_{live|test}_{random}`; only its SHA-256 is stored, and a request is authenticated by one
//! index read on that hash.

mod authenticate;
mod cache;
mod clock;
mod credentials;
mod derivation;
mod gate;
mod key;
mod meter;
mod required;
mod writer;

pub use access::{
    AllowedIps, AllowedIpsError, Environment, Scope, ScopeError, Scopes, MAX_ALLOWED_IPS,
};
pub use authenticate::{authenticate, AuthError, Principal, Requirement, LAST_USED_RESOLUTION};
pub use cache::{AuthCache, AUTH_CACHE_DEFAULT_TTL, AUTH_CACHE_ENTRIES, AUTH_CACHE_MAX_TTL};
pub use clock::{is_expired, parse_timestamp, timestamp};
pub use credentials::presented_key;
pub use derivation::{DerivationUnavailable, KeyDerivation, StoredSecret};
pub use gate::{Gate, GateConfig};
pub use key::{
    new_event_id, new_key_id, random_bytes, random_id, token_hash, ApiKeySecret, DerivationSecret,
    KeyGenerationError, KEY_PREFIX_VISIBLE_CHARS, MIN_DERIVATION_SECRET_BYTES, RANDOM_PART_LEN,
};
pub use meter::{UsageMeter, UsageWrites};
pub use required::{route_rule, scope_by_method, RouteRule, ROUTE_SCOPES};
pub use writer::start_usage_writer;
