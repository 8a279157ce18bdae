//! The account service's rules, in one place: who may sign up, what a key may be created with, when a key
//! may be revoked. Handlers parse requests into the inputs here and turn the outcomes into responses.

mod error;
mod idempotency;
mod keys;
mod plans;
mod signup;
pub mod validate;
mod views;

pub use auth::DerivationSecret;
pub use error::AccountError;
pub use idempotency::{
    IdempotencyKey, IDEMPOTENCY_WINDOW, MAX_IDEMPOTENCY_KEY_CHARS, MIN_IDEMPOTENCY_KEY_CHARS,
};
pub use keys::{
    create_key, list_keys, revoke_key, NewKeyInput, DEFAULT_KEY_NAME, REVOCATION_ATTEMPTS,
};
pub use plans::{Plan, DEFAULT_PLAN_ID, PLANS};
pub use signup::{get_account, signup, SignupInput};
pub use views::{AccountView, ApiKeyView, CreatedKeyView, PlanView, SignupView};
