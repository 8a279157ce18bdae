//! Every route of the spec, against DynamoDB Local, one behaviour per test. One test binary (fast to link),
//! one table per test (safe to run in parallel).

#[path = "api/account.rs"]
mod account;
#[path = "api/activity.rs"]
mod activity;
#[path = "api/allowed_ips.rs"]
mod allowed_ips;
#[path = "api/auth.rs"]
mod auth;
#[path = "api/authorizer.rs"]
mod authorizer;
#[path = "api/cost.rs"]
mod cost;
#[path = "api/create_key.rs"]
mod create_key;
#[path = "api/dashboard.rs"]
mod dashboard;
#[path = "api/edit_key.rs"]
mod edit_key;
#[path = "api/envelope.rs"]
mod envelope;
#[path = "api/events.rs"]
mod events;
#[path = "api/faults.rs"]
mod faults;
#[path = "api/hostile.rs"]
mod hostile;
#[path = "api/idempotency.rs"]
mod idempotency;
#[path = "api/isolation.rs"]
mod isolation;
#[path = "api/key_limit.rs"]
mod key_limit;
#[path = "api/leaks.rs"]
mod leaks;
#[path = "api/list_keys.rs"]
mod list_keys;
#[path = "api/operator.rs"]
mod operator;
#[path = "api/races.rs"]
mod races;
#[path = "api/revocation_holds.rs"]
mod revocation_holds;
#[path = "api/revoke_key.rs"]
mod revoke_key;
#[path = "api/roll_key.rs"]
mod roll_key;
#[path = "api/sandbox.rs"]
mod sandbox;
#[path = "api/secret.rs"]
mod secret;
#[path = "api/secret_scanning.rs"]
mod secret_scanning;
#[path = "api/signup.rs"]
mod signup;
#[path = "api/signup_limit.rs"]
mod signup_limit;
#[path = "api/stack.rs"]
mod stack;
#[path = "api/usage.rs"]
mod usage;
