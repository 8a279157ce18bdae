//! What every function that checks callers holds, built once per cold start: the table, the usage meter and
//! the authentication cache, with the one configuration they are read from.

use std::net::IpAddr;
use std::time::SystemTime;

use config::{ConfigError, Variables};
use lambda_http::http::HeaderMap;
use store::{Store, StoreConfig};

use crate::{authenticate, AuthCache, AuthError, Principal, Requirement, UsageMeter, UsageWrites};

/// The configuration of a [`Gate`], read once in `main`.
#[derive(Clone, Debug)]
pub struct GateConfig {
    pub store: StoreConfig,
    /// `USAGE_WRITES`: after the response (Lambda) or inline (`make dev`).
    pub usage_writes: UsageWrites,
    /// `AUTH_CACHE_TTL`: how long a successful authentication is kept (default 1 s; 0: off).
    pub auth_cache: AuthCache,
}

impl GateConfig {
    /// The store's variables, `USAGE_WRITES` and `AUTH_CACHE_TTL`.
    pub fn from_variables(variables: &Variables) -> Result<Self, ConfigError> {
        Ok(Self {
            store: StoreConfig::from_variables(variables)?,
            usage_writes: UsageWrites::from_variables(variables)?,
            auth_cache: AuthCache::from_variables(variables)?,
        })
    }
}

/// Who may pass, and what they used: the table, the usage meter, the cache of busy keys.
#[derive(Clone, Debug)]
pub struct Gate {
    pub store: Store,
    pub meter: UsageMeter,
    pub cache: AuthCache,
}

impl Gate {
    /// Connects to the table `config` names, with an empty meter whose writer is started
    /// ([`crate::start_usage_writer`]: call during init) and an empty cache.
    pub async fn start(config: &GateConfig) -> Self {
        let store = Store::connect(&config.store).await;
        let meter = UsageMeter::with_writes(store.clone(), config.usage_writes);
        Self {
            meter: crate::start_usage_writer(meter).await,
            store,
            cache: config.auth_cache.clone(),
        }
    }

    /// [`authenticate`] through this gate.
    pub async fn authenticate(
        &self,
        headers: &HeaderMap,
        source: Option<IpAddr>,
        required: impl Into<Requirement>,
        now: SystemTime,
    ) -> Result<Principal, AuthError> {
        authenticate(
            &self.store,
            &self.meter,
            &self.cache,
            headers,
            source,
            required,
            now,
        )
        .await
    }
}
