//! Where the key-derivation secret comes from. On AWS the functions are given the secret's ARN and read its
//! value from Secrets Manager at the first idempotent create or replay (no cold start pays for it, and no one
//! who may read a function's configuration reads the secret); `make dev` and the tests hold a local value.

use std::sync::Arc;

use aws_sdk_secretsmanager::error::DisplayErrorContext;
use config::{ConfigError, Variables};
use store::ClientSettings;
use tokio::sync::OnceCell;

use crate::DerivationSecret;

/// What `KEY_DERIVATION_SECRET_ARN` must hold.
const ARN_EXPECTED: &str =
    "the ARN of the key-derivation secret in Secrets Manager (arn:aws:secretsmanager:<region>:<account>:secret:<name>), or, locally, KEY_DERIVATION_SECRET";

/// The secret in Secrets Manager, read once at its first use and kept for the instance's life.
pub struct StoredSecret {
    arn: String,
    /// `AWS_ENDPOINT_URL_SECRETS_MANAGER` where set (the tests' stand-in); Secrets Manager's own otherwise.
    endpoint: Option<String>,
    settings: ClientSettings,
    value: OnceCell<DerivationSecret>,
}

/// The server-side secret idempotent creations derive their key from, or where to read it.
#[derive(Clone)]
pub enum KeyDerivation {
    /// Held as configured: `KEY_DERIVATION_SECRET`, for `make dev` and the tests.
    Value(DerivationSecret),
    /// Read from Secrets Manager at first use: `KEY_DERIVATION_SECRET_ARN`, on AWS.
    SecretsManager(Arc<StoredSecret>),
}

impl std::fmt::Debug for KeyDerivation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyDerivation::Value(_) => f.write_str("KeyDerivation::Value(..)"),
            KeyDerivation::SecretsManager(stored) => {
                write!(f, "KeyDerivation::SecretsManager({})", stored.arn)
            }
        }
    }
}

/// The secret could not be read: the request that needed it is a 503, and the next one tries again.
#[derive(Debug, thiserror::Error)]
#[error("the key-derivation secret could not be read: {0}")]
pub struct DerivationUnavailable(String);

impl KeyDerivation {
    /// `KEY_DERIVATION_SECRET_ARN` (checked to be a Secrets Manager ARN; read at first use through a client
    /// with `settings`' timeouts and trust), else a local `KEY_DERIVATION_SECRET`; neither set, or both, is
    /// refused.
    pub fn from_variables(
        variables: &Variables,
        settings: &ClientSettings,
    ) -> Result<Self, ConfigError> {
        let arn = variables.text("KEY_DERIVATION_SECRET_ARN");
        let local = variables.text("KEY_DERIVATION_SECRET").is_some();
        match (arn, local) {
            (Some(arn), false) => {
                if !is_secret_arn(arn) {
                    return Err(ConfigError {
                        name: "KEY_DERIVATION_SECRET_ARN",
                        value: Some(arn.to_owned()),
                        expected: ARN_EXPECTED,
                    });
                }
                Ok(KeyDerivation::SecretsManager(Arc::new(StoredSecret {
                    arn: arn.to_owned(),
                    endpoint: variables
                        .text("AWS_ENDPOINT_URL_SECRETS_MANAGER")
                        .map(str::to_owned),
                    settings: settings.clone(),
                    value: OnceCell::new(),
                })))
            }
            (Some(_), true) => Err(ConfigError {
                name: "KEY_DERIVATION_SECRET",
                value: None,
                expected: "unset where KEY_DERIVATION_SECRET_ARN is set: one source for the secret",
            }),
            (None, true) => DerivationSecret::from_variables(variables).map(KeyDerivation::Value),
            (None, false) => Err(ConfigError {
                name: "KEY_DERIVATION_SECRET_ARN",
                value: None,
                expected: ARN_EXPECTED,
            }),
        }
    }

    /// The secret: at hand, or read from Secrets Manager once (a failed read is tried again next time).
    pub async fn secret(&self) -> Result<&DerivationSecret, DerivationUnavailable> {
        match self {
            KeyDerivation::Value(secret) => Ok(secret),
            KeyDerivation::SecretsManager(stored) => {
                stored.value.get_or_try_init(|| stored.read()).await
            }
        }
    }
}

impl StoredSecret {
    async fn read(&self) -> Result<DerivationSecret, DerivationUnavailable> {
        let mut config =
            aws_sdk_secretsmanager::config::Builder::from(&store::sdk_config(&self.settings).await);
        if let Some(endpoint) = &self.endpoint {
            config = config.endpoint_url(endpoint);
        }
        let client = aws_sdk_secretsmanager::Client::from_conf(config.build());
        let output = client
            .get_secret_value()
            .secret_id(&self.arn)
            .send()
            .await
            .map_err(|err| {
                let detail = DisplayErrorContext(&err).to_string();
                tracing::error!(error = %detail, "Secrets Manager GetSecretValue failed");
                DerivationUnavailable("GetSecretValue failed".to_owned())
            })?;
        let text = output.secret_string().ok_or_else(|| {
            tracing::error!("the key-derivation secret has no SecretString");
            DerivationUnavailable("no SecretString".to_owned())
        })?;
        DerivationSecret::new(text.as_bytes()).ok_or_else(|| {
            tracing::error!("the key-derivation secret is shorter than 32 bytes");
            DerivationUnavailable("too short".to_owned())
        })
    }
}

/// `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>`.
fn is_secret_arn(text: &str) -> bool {
    let parts: Vec<&str> = text.splitn(7, ':').collect();
    matches!(
        parts.as_slice(),
        ["arn", partition, "secretsmanager", region, account, "secret", name]
            if !partition.is_empty() && !region.is_empty() && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<KeyDerivation, ConfigError> {
        KeyDerivation::from_variables(
            &Variables::from_pairs(pairs.iter().copied()),
            &ClientSettings::default(),
        )
    }

    const ARN: &str =
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:memory-api-key-derivation-AbCdEf";

    #[test]
    fn the_secrets_arn_is_checked_at_init_and_nothing_is_read_then() {
        assert!(matches!(
            read(&[("KEY_DERIVATION_SECRET_ARN", ARN)]),
            Ok(KeyDerivation::SecretsManager(_))
        ));
        for bad in [
            "memory-api-key-derivation",
            "arn:aws:s3:::bucket",
            "arn:aws:secretsmanager:us-east-1:1234:secret:x",
        ] {
            let err = read(&[("KEY_DERIVATION_SECRET_ARN", bad)]).expect_err("refused");
            assert_eq!(err.name, "KEY_DERIVATION_SECRET_ARN", "{bad}");
        }
    }

    #[test]
    fn without_the_arn_or_a_local_value_the_function_refuses_to_start() {
        let err = read(&[]).expect_err("refused");
        assert_eq!(err.name, "KEY_DERIVATION_SECRET_ARN");
        let both = read(&[
            ("KEY_DERIVATION_SECRET_ARN", ARN),
            (
                "KEY_DERIVATION_SECRET",
                "local-secret-local-secret-local-secret-0123",
            ),
        ]);
        assert_eq!(both.expect_err("refused").name, "KEY_DERIVATION_SECRET");
    }

    #[test]
    fn a_local_value_is_held_as_it_is() {
        assert!(matches!(
            read(&[(
                "KEY_DERIVATION_SECRET",
                "local-secret-local-secret-local-secret-0123"
            )]),
            Ok(KeyDerivation::Value(_))
        ));
    }
}
