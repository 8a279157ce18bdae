//! The account service's rules, in one place: who may sign up, what a key may be created with, when a key
//! may be revoked. Handlers parse requests into the inputs here and turn the outcomes into responses.

mod error;
mod events;
mod idempotency;
mod keys;
mod leaks;
mod lifecycle;
pub mod operator;
mod plans;
mod signup;
mod usage;
pub mod validate;
mod views;

pub use auth::{DerivationSecret, KeyDerivation};
pub use error::AccountError;
pub use events::{
    list_events, ActorView, EventKeyView, EventListRequest, EventListView, EventView, RequestView,
};
pub use idempotency::{
    IdempotencyKey, IDEMPOTENCY_WINDOW, MAX_IDEMPOTENCY_KEY_CHARS, MIN_IDEMPOTENCY_KEY_CHARS,
};
pub use keys::{
    create_key, list_keys, NewKeyInput, PageRequest, DEFAULT_KEY_NAME, DEFAULT_PAGE_LIMIT,
    KEY_CREATION_ATTEMPTS, MAX_ACTIVE_KEYS, MAX_PAGE_LIMIT, REVOCATION_ATTEMPTS,
};
pub use leaks::{
    answer_leak_report, LeakLabel, ReportedToken, LEAK_LOOKUPS_AT_ONCE, MAX_LEAK_SOURCE_CHARS,
    MAX_LEAK_URL_CHARS,
};
pub use lifecycle::{
    edit_key, revoke_key, roll_key, KeyEdit, RollInput, RollRequest, DEFAULT_ROLL_OVERLAP_HOURS,
    MAX_ROLL_OVERLAP_HOURS,
};
pub use plans::{Plan, DEFAULT_PLAN_ID, PLANS};
pub use signup::{get_account, signup, signup_source, SignupInput, SignupOrigin};
pub use usage::{usage, KeyUsage, UsageDay, UsageQuery, UsageTotals, UsageView, MAX_USAGE_DAYS};
pub use views::{
    AccountView, ApiKeyView, CreatedKeyView, KeyListView, LeakView, PlanView, SignupView,
};
