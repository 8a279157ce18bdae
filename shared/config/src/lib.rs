//! A function's configuration is read once, in `main`, from its environment variables, into typed values
//! (each crate builds its own part from [`Variables`]). A value that is set but unusable fails the init with
//! a [`ConfigError`] that names the variable and what it expects: a typo in a template never turns silently
//! into a default.

use std::collections::HashMap;
use std::time::Duration;

/// A variable that is set to something this code cannot use, or missing where one is required.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{name} {}: expected {expected}", match value { Some(value) => format!("is {value:?}"), None => "is not set".to_owned() })]
pub struct ConfigError {
    /// The variable.
    pub name: &'static str,
    /// What it held (`None`: unset). Never a secret's value: [`Variables::secret`] leaves it out.
    pub value: Option<String>,
    /// What it should hold, in words.
    pub expected: &'static str,
}

/// The environment variables a configuration is read from: the process's in `main`, a fixed set in tests.
#[derive(Clone, Default)]
pub struct Variables(HashMap<String, String>);

impl std::fmt::Debug for Variables {
    // The names only: the environment holds credentials and secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Variables {
    /// The process's environment (variables that are not valid UTF-8 are left out, as if unset).
    pub fn from_process() -> Self {
        Self(
            std::env::vars_os()
                .filter_map(|(name, value)| {
                    Some((name.into_string().ok()?, value.into_string().ok()?))
                })
                .collect(),
        )
    }

    /// Exactly these variables.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect(),
        )
    }

    /// The variable's value, trimmed; an empty value counts as unset.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(|value| value.trim())
            .filter(|value| !value.is_empty())
    }

    /// A variable that must be set.
    pub fn required(
        &self,
        name: &'static str,
        expected: &'static str,
    ) -> Result<String, ConfigError> {
        self.text(name).map(str::to_owned).ok_or(ConfigError {
            name,
            value: None,
            expected,
        })
    }

    /// A secret that must be set, exactly as set (not trimmed: its bytes are the secret); empty counts as
    /// unset. A refusal names the variable, never its value.
    pub fn secret(
        &self,
        name: &'static str,
        expected: &'static str,
    ) -> Result<String, ConfigError> {
        self.0
            .get(name)
            .filter(|value| !value.is_empty())
            .cloned()
            .ok_or(ConfigError {
                name,
                value: None,
                expected,
            })
    }

    /// A variable parsed by `parse`, `None` when unset; a value `parse` refuses is an error.
    pub fn parsed<T>(
        &self,
        name: &'static str,
        expected: &'static str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>, ConfigError> {
        match self.text(name) {
            None => Ok(None),
            Some(value) => parse(value).map(Some).ok_or_else(|| ConfigError {
                name,
                value: Some(value.to_owned()),
                expected,
            }),
        }
    }

    /// A whole number of milliseconds, at least 1; `default` when unset.
    pub fn millis(&self, name: &'static str, default: Duration) -> Result<Duration, ConfigError> {
        Ok(self
            .parsed(
                name,
                "a whole number of milliseconds, at least 1",
                |value| {
                    value
                        .parse::<u64>()
                        .ok()
                        .filter(|ms| *ms >= 1)
                        .map(Duration::from_millis)
                },
            )?
            .unwrap_or(default))
    }

    /// `1`/`true` or `0`/`false`; `None` when unset.
    pub fn flag(&self, name: &'static str) -> Result<Option<bool>, ConfigError> {
        self.parsed(name, "1, true, 0 or false", |value| match value {
            "1" | "true" => Some(true),
            "0" | "false" => Some(false),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unset_or_empty_variable_takes_the_default() {
        let variables = Variables::from_pairs([("EMPTY", "  ")]);
        assert_eq!(
            variables.millis("UNSET", Duration::from_secs(2)),
            Ok(Duration::from_secs(2))
        );
        assert_eq!(
            variables.millis("EMPTY", Duration::from_secs(2)),
            Ok(Duration::from_secs(2))
        );
    }

    #[test]
    fn a_value_that_cannot_be_used_is_refused_naming_the_variable_and_what_it_expects() {
        let variables = Variables::from_pairs([("TIMEOUT_MS", "1s"), ("FLAG", "yes")]);
        let err = variables
            .millis("TIMEOUT_MS", Duration::from_secs(1))
            .expect_err("refused");
        assert_eq!(
            err.to_string(),
            "TIMEOUT_MS is \"1s\": expected a whole number of milliseconds, at least 1"
        );
        let err = variables.flag("FLAG").expect_err("refused");
        assert_eq!(
            err.to_string(),
            "FLAG is \"yes\": expected 1, true, 0 or false"
        );
    }

    #[test]
    fn a_missing_required_variable_is_refused_by_name() {
        let err = Variables::default()
            .required("TABLE_NAME", "the DynamoDB table's name")
            .expect_err("refused");
        assert_eq!(
            err.to_string(),
            "TABLE_NAME is not set: expected the DynamoDB table's name"
        );
    }

    #[test]
    fn a_secret_is_read_as_set_without_trimming() {
        let variables = Variables::from_pairs([("SECRET", " padded secret ")]);
        assert_eq!(
            variables.secret("SECRET", "32 bytes").as_deref(),
            Ok(" padded secret ")
        );
        assert!(!format!("{variables:?}").contains("padded"));
    }

    #[test]
    fn a_secret_is_never_echoed() {
        let err = Variables::default()
            .secret("SECRET", "32 bytes")
            .expect_err("refused");
        assert_eq!(err.value, None);
    }
}
