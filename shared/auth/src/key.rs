//! API keys: `mem_{environment}_{random}`, generated from the OS CSPRNG and stored only as a SHA-256.

use rand::rngs::SysRng;
use rand::TryRng;
use sha2::{Digest, Sha256};

/// Length of the random part: 40 base62 characters, about 238 bits of entropy.
pub const RANDOM_PART_LEN: usize = 40;
/// Shortest random part accepted when parsing (keys shorter than this were never issued).
const MIN_RANDOM_PART_LEN: usize = 32;
/// Longest random part accepted when parsing.
const MAX_RANDOM_PART_LEN: usize = 64;
/// How much of a key `key_prefix` shows: `mem_live_` and six random characters.
pub const KEY_PREFIX_VISIBLE_CHARS: usize = 15;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The two kinds of key: `live` counts against billing, `test` is the free sandbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Environment {
    Live,
    Test,
}

impl Environment {
    /// The name used in keys and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Live => "live",
            Environment::Test => "test",
        }
    }

    /// The environment named exactly `live` or `test`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "live" => Some(Environment::Live),
            "test" => Some(Environment::Test),
            _ => None,
        }
    }
}

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
        let random = random_base62(RANDOM_PART_LEN)?;
        Ok(Self {
            text: format!("mem_{}_{random}", environment.as_str()),
            environment,
        })
    }

    /// Checks a presented key's shape: `mem_`, `live` or `test`, `_`, then 32 to 64 base62 characters.
    /// `None` for anything else, before any storage is asked.
    pub fn parse(text: &str) -> Option<Self> {
        let rest = text.strip_prefix("mem_")?;
        let (environment, random) = rest.split_once('_')?;
        let environment = Environment::parse(environment)?;
        let length_ok = (MIN_RANDOM_PART_LEN..=MAX_RANDOM_PART_LEN).contains(&random.len());
        if !length_ok || !random.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        Some(Self {
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
        let digest = Sha256::digest(self.text.as_bytes());
        let mut hex = String::with_capacity(64);
        for byte in digest.iter() {
            hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
            hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 0x0f)]));
        }
        hex
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

/// A random identifier such as `org_...` or `key_...`: `prefix`, `_`, 20 base62 characters.
pub fn random_id(prefix: &str) -> Result<String, KeyGenerationError> {
    Ok(format!("{prefix}_{}", random_base62(20)?))
}

/// `len` base62 characters, uniform: bytes of 248 and above (62 × 4) are drawn again, not folded.
fn random_base62(len: usize) -> Result<String, KeyGenerationError> {
    let mut out = String::with_capacity(len);
    let mut buffer = [0u8; 64];
    while out.len() < len {
        SysRng
            .try_fill_bytes(&mut buffer)
            .map_err(|_| KeyGenerationError)?;
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
        let key = ApiKeySecret::parse("mem_live_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6").expect("valid");
        assert_eq!(key.prefix(), "mem_live_a1b2c3...");
    }

    #[test]
    fn hash_is_sha256_hex() {
        let key = ApiKeySecret::parse("mem_test_00000000000000000000000000000000").expect("valid");
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

    #[test]
    fn random_ids_have_their_prefix() {
        let id = random_id("key").expect("random source");
        assert!(id.starts_with("key_") && id.len() == 24);
    }
}
