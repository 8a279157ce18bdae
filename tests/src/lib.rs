//! Helpers for the route tests: DynamoDB Local tables, API Gateway-shaped requests and their router, test
//! organisations and keys, and a proxy that breaks DynamoDB on demand. One file per job.

mod fixtures;
mod github_keys;
mod process;
mod proxy;
mod request;
mod runtime;
mod secrets_manager;
mod tables;

pub use fixtures::{
    an_event, create_key, insert_key, insert_key_in, revoke_behind_a_lagging_index, sign_up,
    unique_email, Org,
};
pub use github_keys::{
    github_signature, GithubKeysStandIn, ReportSigner, DEV_KEYS_DOCUMENT, DEV_KEY_IDENTIFIER,
};
pub use process::{built_binary, built_binary_of, sigterm_and_wait, RunningFunction};
pub use proxy::{Fault, FaultyProxy, ObservedCall};
pub use request::{
    answer_of, authorizer_service, call, derivation_secret, gate_of, route, Answer, Call,
};
pub use runtime::{gateway_event, Moment, RuntimeApi, Timeline};
pub use secrets_manager::SecretsManagerStandIn;
pub use tables::{
    count_items, counting_store, dynamodb_endpoint, fresh_store, fresh_store_with, fresh_table,
    patient_settings, usage_meter, OperationLog,
};
