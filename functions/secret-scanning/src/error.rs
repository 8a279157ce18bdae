//! This route's refusals as answers. They are the HTTP side's (the body and its signature), not the
//! domain's, so they map here as `http-envelope` maps its own; the domain's errors still go through
//! `api-errors`.

use http_envelope::ApiError;
use lambda_http::http::StatusCode;

use crate::keys::KeysError;
use crate::report::{ReportError, MAX_REPORT_BYTES, MAX_REPORT_TOKENS};
use crate::signature::{SignatureError, KEY_IDENTIFIER_HEADER, SIGNATURE_HEADER};

/// Why a report was refused before anything was done with it.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error(transparent)]
    Keys(#[from] KeysError),
    #[error(transparent)]
    Report(#[from] ReportError),
}

impl From<ScanError> for ApiError {
    fn from(err: ScanError) -> Self {
        let unauthorized =
            |code, message: &str| ApiError::new(StatusCode::UNAUTHORIZED, code, message);
        match err {
            ScanError::Signature(SignatureError::MissingHeader(header)) => unauthorized(
                "invalid_signature",
                "The report is not signed: send Github-Public-Key-Identifier and Github-Public-Key-Signature.",
            )
            .with_param(header_name(header)),
            ScanError::Signature(SignatureError::Malformed) => unauthorized(
                "invalid_signature",
                "Github-Public-Key-Signature must be base64 of a DER-encoded ECDSA signature.",
            )
            .with_param(header_name(SIGNATURE_HEADER)),
            ScanError::Signature(SignatureError::Mismatch) => unauthorized(
                "invalid_signature",
                "The signature does not verify over the request body with the named key.",
            )
            .with_param(header_name(SIGNATURE_HEADER)),
            // 401, not 400: the request's form is fine; its signer is not one GitHub lists, so the sender is
            // not authenticated (a key GitHub rotated in is found by the refetch before this answer).
            ScanError::Keys(KeysError::UnknownIdentifier) => unauthorized(
                "unknown_key_identifier",
                "GitHub's public keys do not list this key identifier.",
            )
            .with_param(header_name(KEY_IDENTIFIER_HEADER)),
            ScanError::Keys(KeysError::Unavailable(_)) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "service_unavailable",
                "GitHub's public keys could not be fetched to verify the report; nothing was done. Retry in a minute.",
            ),
            ScanError::Report(ReportError::TooLarge) => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("The report is larger than {MAX_REPORT_BYTES} bytes: send it in parts."),
            ),
            ScanError::Report(ReportError::TooManyTokens) => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("The report carries more than {MAX_REPORT_TOKENS} tokens: send it in parts."),
            ),
            ScanError::Report(err) => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_report", err.to_string())
            }
        }
    }
}

/// A header's name as GitHub writes it, for `param`.
fn header_name(header: &str) -> &'static str {
    if header == KEY_IDENTIFIER_HEADER {
        "Github-Public-Key-Identifier"
    } else {
        "Github-Public-Key-Signature"
    }
}
