//! Whether a report comes from GitHub: an ECDSA (NIST P-256, SHA-256) signature over the raw body bytes,
//! checked before anything reads the body (never over JSON parsed and serialised again).

use base64::Engine;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};

/// The header naming which of GitHub's public keys signed the report.
pub const KEY_IDENTIFIER_HEADER: &str = "github-public-key-identifier";

/// The header carrying the signature: base64 (standard alphabet) of a DER-encoded ECDSA signature.
pub const SIGNATURE_HEADER: &str = "github-public-key-signature";

/// Why a report's signature is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header (one of the two above) was not sent, or is empty.
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    /// The signature header is not base64 of a DER ECDSA signature.
    #[error("the signature is not base64 of a DER-encoded ECDSA signature")]
    Malformed,
    /// A well-formed signature that the named key did not make over these bytes.
    #[error("the signature does not verify over the body")]
    Mismatch,
}

/// The signature header's value, decoded: base64 of DER (whitespace around it trimmed by the caller).
pub fn decode_signature(text: &str) -> Result<Signature, SignatureError> {
    if text.is_empty() {
        return Err(SignatureError::MissingHeader(SIGNATURE_HEADER));
    }
    let der = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| SignatureError::Malformed)?;
    Signature::from_der(&der).map_err(|_| SignatureError::Malformed)
}

/// Checks `signature` over exactly `body` with `key`.
pub fn verify(
    key: &VerifyingKey,
    body: &[u8],
    signature: &Signature,
) -> Result<(), SignatureError> {
    key.verify(body, signature)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use p256::ecdsa::signature::Signer;
    use p256::ecdsa::SigningKey;
    use p256::pkcs8::DecodePrivateKey;

    /// The committed test-only key pair `make dev` trusts (never trusted in production).
    pub(crate) fn dev_signing_key() -> SigningKey {
        signing_key(include_str!(
            "../../../dev/secret-scanning/TEST-ONLY-signing-key.pem"
        ))
    }

    /// A test-only key GitHub's document never lists.
    pub(crate) fn other_signing_key() -> SigningKey {
        signing_key(include_str!(
            "../../../dev/secret-scanning/TEST-ONLY-other-signing-key.pem"
        ))
    }

    fn signing_key(pem: &str) -> SigningKey {
        SigningKey::from_pkcs8_pem(pem).expect("a PKCS#8 P-256 key")
    }

    /// `body` signed as GitHub signs it: the header's value.
    pub(crate) fn signed(key: &SigningKey, body: &[u8]) -> String {
        let signature: Signature = key.sign(body);
        base64::engine::general_purpose::STANDARD.encode(signature.to_der().as_bytes())
    }

    const BODY: &[u8] = br#"[{"token":"mem_live_x","type":"memory_api_key"}]"#;

    #[test]
    fn a_signature_of_the_body_by_the_named_key_verifies() {
        let key = dev_signing_key();
        let signature = decode_signature(&signed(&key, BODY)).expect("decodes");
        assert_eq!(verify(key.verifying_key(), BODY, &signature), Ok(()));
    }

    /// `openssl dgst -sha256 -sign` of [`BODY`] with the dev key, as `scripts/report-leak.sh` signs: most
    /// have a high `s` (OpenSSL, like GitHub's signer, does not normalise it), and each verifies.
    #[test]
    fn signatures_made_by_openssl_verify_whatever_their_s() {
        let key = dev_signing_key();
        for made in [
            "MEYCIQD2DFxWbUWKoEcH1/OxSNbB4fQouZwh+Yi8rY9+U7H8GQIhAJ6ZKwStVMRuaNO1t8CsdPypW7o94WQyEWlh/BCKbBvB",
            "MEUCICARA4/Tglg/g3CXbQduNC3iInc1gEy0TomnN68kDDVLAiEA6JrMajv2qDDmTgKQGB8w7mWvQ23FljgVuvu5ICImzKA=",
            "MEUCIEBvZ6m5bcfsyYMNmPeXnqkCKPb19Lx9ml0AuqJH6GHtAiEAtvtG5Xjc0h1IJYU+wt6Rl3y59obi59GHu8QMuFgvIAk=",
            "MEUCIQD/5Grou7Zb8qoKyWHOK9w5y9vHsGI0zDOmu87kUS8uKAIgZoToETwMFu4wBHTEwLBTRXIvxl44itdB3+wh5es/JJ0=",
        ] {
            let signature = decode_signature(made).expect("decodes");
            assert_eq!(verify(key.verifying_key(), BODY, &signature), Ok(()), "{made}");
        }
    }

    #[test]
    fn a_signature_by_another_key_is_a_mismatch() {
        let signature = decode_signature(&signed(&other_signing_key(), BODY)).expect("decodes");
        assert_eq!(
            verify(dev_signing_key().verifying_key(), BODY, &signature),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn an_altered_body_is_a_mismatch() {
        let key = dev_signing_key();
        let signature = decode_signature(&signed(&key, BODY)).expect("decodes");
        let altered = br#"[{"token":"mem_live_y","type":"memory_api_key"}]"#;
        assert_eq!(
            verify(key.verifying_key(), altered, &signature),
            Err(SignatureError::Mismatch)
        );
        let spaced = br#"[{"token": "mem_live_x","type":"memory_api_key"}]"#;
        assert_eq!(
            verify(key.verifying_key(), spaced, &signature),
            Err(SignatureError::Mismatch),
            "the same JSON with other bytes"
        );
    }

    #[test]
    fn bad_base64_or_not_der_is_malformed() {
        assert_eq!(
            decode_signature("not base64!").map(|_| ()),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            decode_signature("aGVsbG8gd29ybGQ=").map(|_| ()),
            Err(SignatureError::Malformed),
            "base64 of text, not DER"
        );
    }

    #[test]
    fn a_missing_signature_is_named() {
        assert_eq!(
            decode_signature("").map(|_| ()),
            Err(SignatureError::MissingHeader(SIGNATURE_HEADER))
        );
    }
}
