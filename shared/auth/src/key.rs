//! API keys: `mem_{environment}_{random}`, generated from the OS CSPRNG and stored only as a SHA-256.
//!
//! The random part ends with a checksum of the rest of the key (as GitHub's tokens do): a mistyped, truncated or
//! made-up key is refused by [`ApiKeySecret::parse`] before any storage is asked, and secret scanners can match
//! our keys with few false positives (`mem_(live|test)_[0-9A-Za-z]{40}` whose last 6 characters check out).

use hmac::{KeyInit, Mac};
use rand::rngs::SysRng;
use rand::TryRng;
use sha2::{Digest, Sha256};

use access::Environment;
use config::{ConfigError, Variables};

/// Length of the part after `mem_{environment}_`: 34 random base62 characters (about 202 bits) and a
/// 6-character checksum.
pub const RANDOM_PART_LEN: usize = ENTROPY_CHARS + CHECKSUM_CHARS;
/// The random characters of a key.
const ENTROPY_CHARS: usize = 34;
/// The checksum: CRC32 of everything before it (`mem_live_` included), in base62, zero-padded (62^6 > 2^32).
pub const CHECKSUM_CHARS: usize = 6;
/// How much of a key `key_prefix` shows: `mem_live_` and six random characters.
pub const KEY_PREFIX_VISIBLE_CHARS: usize = 15;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The OS random source failed: no key or id can be made safely.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random source failed")]
pub struct KeyGenerationError;

/// A full API key. It exists in memory only while a request needs it: its `Debug` hides it, it has no
/// `Display`, and the only way to read it is [`ApiKeySecret::expose`], called once, when a key is created.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeySecret {
    text: String,
    environment: Environment,
}

impl std::fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKeySecret({}...)", self.prefix_chars())
    }
}

impl ApiKeySecret {
    /// A new key for `environment` from the OS CSPRNG.
    pub fn generate(environment: Environment) -> Result<Self, KeyGenerationError> {
        Ok(Self::with_checksum(
            environment,
            &random_base62(ENTROPY_CHARS)?,
        ))
    }

    /// The key an idempotent request creates: its random part drawn from HMAC-SHA256 under the server's
    /// `secret`, keyed to this request's `salt` (random, stored with the request's outcome) and the client's
    /// idempotency key. A retry of the request derives the same key again, so it can be shown again while
    /// only its hash is ever stored; without the server's secret, the salt and the idempotency key together,
    /// nobody can derive it.
    pub fn derive(
        environment: Environment,
        secret: &DerivationSecret,
        salt: &[u8],
        idempotency_key: &str,
    ) -> Self {
        let mut block = 0u32;
        let drawn = base62(ENTROPY_CHARS, |buffer| {
            *buffer = secret.block(block, salt, idempotency_key);
            block += 1;
            Ok::<(), std::convert::Infallible>(())
        });
        let random = match drawn {
            Ok(random) => random,
            Err(never) => match never {},
        };
        Self::with_checksum(environment, &random)
    }

    /// `mem_{environment}_{random}` followed by its checksum.
    fn with_checksum(environment: Environment, random: &str) -> Self {
        let mut text = format!("mem_{}_{random}", environment.as_str());
        let checksum = checksum(&text);
        text.push_str(&checksum);
        Self { text, environment }
    }

    /// Checks a presented key: `mem_`, `live` or `test`, `_`, then 40 base62 characters whose last 6 are the
    /// checksum of the rest. `None` for anything else, before any storage is asked.
    pub fn parse(text: &str) -> Option<Self> {
        let rest = text.strip_prefix("mem_")?;
        let (environment, random) = rest.split_once('_')?;
        let environment = Environment::parse(environment)?;
        if random.len() != RANDOM_PART_LEN || !random.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let (body, presented) = text.split_at(text.len() - CHECKSUM_CHARS);
        (checksum(body) == presented).then(|| Self {
            text: text.to_owned(),
            environment,
        })
    }

    /// The environment the key was issued for.
    pub fn environment(&self) -> Environment {
        self.environment
    }

    /// The stored form: SHA-256 of the whole key, lowercase hex.
    pub fn hash(&self) -> String {
        token_hash(&self.text)
    }

    /// What the API shows of a key after its creation: its first 15 characters and `...`.
    pub fn prefix(&self) -> String {
        format!("{}...", self.prefix_chars())
    }

    fn prefix_chars(&self) -> &str {
        self.text
            .get(..KEY_PREFIX_VISIBLE_CHARS)
            .unwrap_or(&self.text)
    }

    /// The full key. Call it only to show a newly created key to its owner, once.
    pub fn expose(&self) -> &str {
        &self.text
    }
}

/// The server-side secret idempotent key creation derives keys from (`KEY_DERIVATION_SECRET`). Its
/// `Debug` hides it.
#[derive(Clone)]
pub struct DerivationSecret(hmac::Hmac<Sha256>);

/// Shortest accepted derivation secret, in bytes: HMAC-SHA256's own key size.
pub const MIN_DERIVATION_SECRET_BYTES: usize = 32;

/// What `KEY_DERIVATION_SECRET` must hold, as a refusal says it.
const DERIVATION_SECRET_EXPECTED: &str = "at least 32 bytes (a random 64-hex-character string)";

impl DerivationSecret {
    /// `KEY_DERIVATION_SECRET`, read once per cold start by the functions that create keys: without it they
    /// refuse to start rather than create keys no retry could show again. A refusal never echoes the value.
    pub fn from_variables(variables: &Variables) -> Result<Self, ConfigError> {
        let refused = ConfigError {
            name: "KEY_DERIVATION_SECRET",
            value: None,
            expected: DERIVATION_SECRET_EXPECTED,
        };
        let text = variables.secret("KEY_DERIVATION_SECRET", DERIVATION_SECRET_EXPECTED)?;
        Self::new(text.into_bytes()).ok_or(refused)
    }

    /// A secret of at least [`MIN_DERIVATION_SECRET_BYTES`] bytes; `None` for a shorter one.
    pub fn new(bytes: impl AsRef<[u8]>) -> Option<Self> {
        let bytes = bytes.as_ref();
        if bytes.len() < MIN_DERIVATION_SECRET_BYTES {
            return None;
        }
        <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(bytes)
            .ok()
            .map(Self)
    }

    /// HMAC-SHA256 in counter mode: block `index` is HMAC(secret, label ‖ index ‖ salt ‖ idempotency key).
    fn block(&self, index: u32, salt: &[u8], idempotency_key: &str) -> [u8; 32] {
        let mut mac = self.0.clone();
        mac.update(b"mem-api-key-derivation/v1");
        mac.update(&index.to_be_bytes());
        mac.update(&(salt.len() as u64).to_be_bytes());
        mac.update(salt);
        mac.update(idempotency_key.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for DerivationSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DerivationSecret(..)")
    }
}

/// CRC32 (IEEE, as zlib's) of `body`, as 6 base62 characters, most significant first.
fn checksum(body: &str) -> String {
    let mut value = crc32fast::hash(body.as_bytes());
    let mut digits = [b'0'; CHECKSUM_CHARS];
    for digit in digits.iter_mut().rev() {
        *digit = BASE62[(value % 62) as usize];
        value /= 62;
    }
    digits.iter().map(|&b| char::from(b)).collect()
}

/// `len` random bytes from the OS CSPRNG.
pub fn random_bytes(len: usize) -> Result<Vec<u8>, KeyGenerationError> {
    let mut bytes = vec![0u8; len];
    SysRng
        .try_fill_bytes(&mut bytes)
        .map_err(|_| KeyGenerationError)?;
    Ok(bytes)
}

/// The SHA-256 of `text`, lowercase hex: a key's stored hash ([`ApiKeySecret::hash`]), and the `token_hash`
/// of any token a secret-scanning report sends (ours or not), in the one form both are compared in.
pub fn token_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest.iter() {
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 0x0f)]));
    }
    hex
}

/// A random identifier such as `org_...` or `key_...`: `prefix`, `_`, 20 base62 characters.
pub fn random_id(prefix: &str) -> Result<String, KeyGenerationError> {
    Ok(format!("{prefix}_{}", random_base62(20)?))
}

/// A key's id: `key_`, its creation time in milliseconds (8 base62 characters, most significant first: ids
/// sort by creation until the year 8800) and 12 random base62 characters (71 bits). Keys are stored under
/// their id, so DynamoDB returns an organisation's keys newest first and a page of the list is one query.
pub fn new_key_id(now: std::time::SystemTime) -> Result<String, KeyGenerationError> {
    time_sortable_id("key", now)
}

/// A new event id: `evt_`, then the same time-sortable form as a key id, so an organisation's events sort by
/// when they happened.
pub fn new_event_id(now: std::time::SystemTime) -> Result<String, KeyGenerationError> {
    time_sortable_id("evt", now)
}

fn time_sortable_id(kind: &str, now: std::time::SystemTime) -> Result<String, KeyGenerationError> {
    let mut millis = now
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let mut time = [b'0'; 8];
    for digit in time.iter_mut().rev() {
        *digit = BASE62[(millis % 62) as usize];
        millis /= 62;
    }
    let time: String = time.iter().map(|&b| char::from(b)).collect();
    Ok(format!("{kind}_{time}{}", random_base62(12)?))
}

/// `len` base62 characters from the OS CSPRNG.
fn random_base62(len: usize) -> Result<String, KeyGenerationError> {
    base62(len, |buffer| {
        SysRng
            .try_fill_bytes(buffer)
            .map_err(|_| KeyGenerationError)
    })
}

/// `len` base62 characters, uniform, from the bytes `fill` draws, 32 at a time: bytes of 248 and above
/// (62 × 4) are drawn again, not folded. The one sampling rule of random and derived keys alike.
fn base62<E>(
    len: usize,
    mut fill: impl FnMut(&mut [u8; 32]) -> Result<(), E>,
) -> Result<String, E> {
    let mut out = String::with_capacity(len);
    let mut buffer = [0u8; 32];
    while out.len() < len {
        fill(&mut buffer)?;
        for byte in buffer {
            if out.len() == len {
                break;
            }
            if byte < 248 {
                out.push(char::from(BASE62[usize::from(byte % 62)]));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid key whose checksum was computed outside this code (Python's `zlib.crc32`).
    const VALID_LIVE_KEY: &str = "mem_live_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q72EnBoh";

    #[test]
    fn a_key_with_the_checksum_computed_elsewhere_parses() {
        let key = ApiKeySecret::parse(VALID_LIVE_KEY).expect("valid");
        assert_eq!(key.environment(), Environment::Live);
    }

    #[test]
    fn a_key_with_any_one_character_changed_is_refused() {
        let generated = ApiKeySecret::generate(Environment::Live).expect("random source");
        for key in [VALID_LIVE_KEY, generated.expose()] {
            let body_start = "mem_live_".len();
            for position in body_start..key.len() {
                for replacement in ['0', 'a', 'Z'] {
                    let mut changed: Vec<char> = key.chars().collect();
                    if changed[position] == replacement {
                        continue;
                    }
                    changed[position] = replacement;
                    let changed: String = changed.into_iter().collect();
                    assert_eq!(ApiKeySecret::parse(&changed), None, "{changed}");
                }
            }
        }
        let other_environment = VALID_LIVE_KEY.replace("mem_live_", "mem_test_");
        assert_eq!(ApiKeySecret::parse(&other_environment), None);
    }

    #[test]
    fn a_truncated_or_extended_key_is_refused() {
        assert_eq!(
            ApiKeySecret::parse(&VALID_LIVE_KEY[..VALID_LIVE_KEY.len() - 1]),
            None
        );
        assert_eq!(ApiKeySecret::parse(&format!("{VALID_LIVE_KEY}0")), None);
    }

    #[test]
    fn generated_key_has_the_documented_format() {
        let key = ApiKeySecret::generate(Environment::Live).expect("random source");
        let text = key.expose();
        assert!(text.starts_with("mem_live_"));
        assert_eq!(text.len(), "mem_live_".len() + RANDOM_PART_LEN);
        assert_eq!(ApiKeySecret::parse(text), Some(key.clone()));
    }

    #[test]
    fn test_keys_start_with_mem_test() {
        let key = ApiKeySecret::generate(Environment::Test).expect("random source");
        assert!(key.expose().starts_with("mem_test_"));
        assert_eq!(key.environment(), Environment::Test);
    }

    #[test]
    fn two_keys_differ() {
        let a = ApiKeySecret::generate(Environment::Live).expect("random source");
        let b = ApiKeySecret::generate(Environment::Live).expect("random source");
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn key_prefix_is_fifteen_characters_and_dots() {
        let key = ApiKeySecret::parse(VALID_LIVE_KEY).expect("valid");
        assert_eq!(key.prefix(), "mem_live_a1b2c3...");
    }

    #[test]
    fn hash_is_sha256_hex() {
        let key = ApiKeySecret::parse("mem_test_00000000000000000000000000000000002HB6L4")
            .expect("valid");
        assert_eq!(key.hash().len(), 64);
        assert!(key
            .hash()
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = ApiKeySecret::generate(Environment::Live).expect("random source");
        assert!(!format!("{key:?}").contains(key.expose()));
    }

    #[test]
    fn malformed_keys_are_refused() {
        for text in [
            "",
            "mem_live_",
            "mem_prod_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6",
            "MEM_live_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6",
            "sk_live_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6",
            "mem_live_short",
            "mem_live_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6-",
            "mem_live_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p_",
            "mem_live_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6 ",
            "mem_live_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5pé",
        ] {
            assert_eq!(
                ApiKeySecret::parse(text),
                None,
                "{text:?} should be refused"
            );
        }
        let too_long = format!("mem_live_{}", "a".repeat(65));
        assert_eq!(ApiKeySecret::parse(&too_long), None);
    }

    fn derivation_secret() -> DerivationSecret {
        DerivationSecret::new([7u8; 32]).expect("long enough")
    }

    #[test]
    fn a_derived_key_is_the_same_for_the_same_secret_salt_and_idempotency_key() {
        let a = ApiKeySecret::derive(Environment::Live, &derivation_secret(), b"salt", "idem-1");
        let b = ApiKeySecret::derive(Environment::Live, &derivation_secret(), b"salt", "idem-1");
        assert_eq!(a, b);
        assert_eq!(ApiKeySecret::parse(a.expose()), Some(a.clone()));
        assert_eq!(a.expose().len(), "mem_live_".len() + RANDOM_PART_LEN);
    }

    /// Known answer, computed outside this code (Python's hmac) from the documented construction: a change
    /// here would make every stored idempotency record re-derive a wrong key.
    #[test]
    fn a_derived_key_matches_its_known_answer() {
        let key = ApiKeySecret::derive(Environment::Live, &derivation_secret(), b"salt", "idem-1");
        assert_eq!(
            key.expose(),
            "mem_live_YIQFNn13pVv1krnvItLBx07SbsyFsvGb6B39DqVE"
        );
    }

    #[test]
    fn a_derived_key_changes_with_the_secret_the_salt_or_the_idempotency_key() {
        let base = ApiKeySecret::derive(Environment::Test, &derivation_secret(), b"salt", "idem-1");
        let other_secret = DerivationSecret::new([8u8; 32]).expect("long enough");
        for other in [
            ApiKeySecret::derive(Environment::Test, &other_secret, b"salt", "idem-1"),
            ApiKeySecret::derive(Environment::Test, &derivation_secret(), b"salu", "idem-1"),
            ApiKeySecret::derive(Environment::Test, &derivation_secret(), b"salt", "idem-2"),
        ] {
            assert_ne!(base.expose(), other.expose());
        }
        assert!(base.expose().starts_with("mem_test_"));
    }

    #[test]
    fn a_short_derivation_secret_is_refused_and_never_printed() {
        assert!(DerivationSecret::new([1u8; 31]).is_none());
        assert_eq!(format!("{:?}", derivation_secret()), "DerivationSecret(..)");
    }

    #[test]
    fn key_ids_sort_by_creation_time() {
        let start = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        let earlier = new_key_id(start).expect("random source");
        let later = new_key_id(start + std::time::Duration::from_millis(1)).expect("random source");
        assert!(earlier < later, "{earlier} < {later}");
        assert_eq!(earlier.len(), 24);
        assert!(earlier.starts_with("key_"));
    }

    #[test]
    fn random_ids_have_their_prefix() {
        let id = random_id("key").expect("random source");
        assert!(id.starts_with("key_") && id.len() == 24);
    }
}
