//! GitHub secret-scanning reports: which reported tokens are ours, and revoking them.
//!
//! STUB: labels every token `FalsePositive` and changes nothing, until the domain write lands.

use std::time::SystemTime;

use store::{RequestFacts, Store};

use crate::AccountError;

/// One token of a secret-scanning report, as GitHub sent it.
pub struct ReportedToken {
    pub token: String,
    pub token_type: String,
    pub url: Option<String>,
    pub source: Option<String>,
}

/// GitHub's feedback label for one reported token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeakLabel {
    TruePositive,
    FalsePositive,
}

/// Labels each token (same order); revokes ours.
pub async fn answer_leak_report(
    store: &Store,
    tokens: &[ReportedToken],
    request: &RequestFacts,
    now: SystemTime,
) -> Result<Vec<LeakLabel>, AccountError> {
    let _ = (store, request, now);
    Ok(vec![LeakLabel::FalsePositive; tokens.len()])
}
