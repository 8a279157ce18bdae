//! Scopes: what a key may do. `admin` implies every other scope.

/// One permission, as documented: `read`, `write`, `delete`, `admin`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Read,
    Write,
    Delete,
    Admin,
}

impl Scope {
    /// Every scope, in the documented order: what a signup's first key gets.
    pub const ALL: [Scope; 4] = [Scope::Read, Scope::Write, Scope::Delete, Scope::Admin];

    /// The name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Delete => "delete",
            Scope::Admin => "admin",
        }
    }

    /// Whether a request needing this scope confirms the caller's key on its base item (strongly
    /// consistent) after the key-hash index found it: `admin` changes keys and `delete` destroys data, so a
    /// revocation (or a narrowing) must hold for them at once; `read` and `write` accept the index's short
    /// lag for a single read.
    pub fn confirmed_on_base_item(self) -> bool {
        matches!(self, Scope::Admin | Scope::Delete)
    }

    /// The scope named exactly `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == name)
    }
}

/// Why a list of scopes was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("at least one scope is required")]
    Empty,
    #[error("unknown scope `{0}`")]
    Unknown(String),
}

/// A key's scopes: non-empty, no duplicates, in the order they were given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    /// Checks a requested list: every name known, at least one; duplicates are dropped, order kept.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, ScopeError> {
        let mut scopes = Vec::with_capacity(names.len());
        for name in names {
            let name = name.as_ref();
            let scope = Scope::parse(name).ok_or_else(|| ScopeError::Unknown(name.to_owned()))?;
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        if scopes.is_empty() {
            return Err(ScopeError::Empty);
        }
        Ok(Self(scopes))
    }

    /// The default of a new key: `["read", "write"]`.
    pub fn default_for_new_key() -> Self {
        Self(vec![Scope::Read, Scope::Write])
    }

    /// Every scope: a signup's first key.
    pub fn all() -> Self {
        Self(Scope::ALL.to_vec())
    }

    /// Whether these scopes permit `required` (`admin` permits everything).
    pub fn allows(&self, required: Scope) -> bool {
        self.0.contains(&required) || self.0.contains(&Scope::Admin)
    }

    /// Whether these scopes grant nothing that `current` does not (each is allowed by it): the only change
    /// an existing key's scopes may take.
    pub fn narrows(&self, current: &Scopes) -> bool {
        self.0.iter().all(|scope| current.allows(*scope))
    }

    /// Whether this set holds `admin` itself.
    pub fn is_admin(&self) -> bool {
        self.0.contains(&Scope::Admin)
    }

    /// The scopes, in order.
    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    /// The names, in order, as the API returns and stores them.
    pub fn names(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|scope| scope.as_str().to_owned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_removed_and_order_kept() {
        let scopes = Scopes::parse(&["write", "read", "write"]).expect("valid");
        assert_eq!(scopes.names(), ["write", "read"]);
    }

    #[test]
    fn empty_scopes_are_refused() {
        assert_eq!(Scopes::parse::<&str>(&[]), Err(ScopeError::Empty));
    }

    #[test]
    fn unknown_scope_is_refused() {
        assert_eq!(
            Scopes::parse(&["read", "superuser"]),
            Err(ScopeError::Unknown("superuser".to_owned()))
        );
    }

    #[test]
    fn scope_names_are_case_sensitive() {
        assert!(Scopes::parse(&["READ"]).is_err());
    }

    #[test]
    fn admin_implies_every_scope() {
        let admin = Scopes::parse(&["admin"]).expect("valid");
        assert!(Scope::ALL.into_iter().all(|s| admin.allows(s)));
    }

    #[test]
    fn a_subset_narrows_and_admin_covers_every_narrowing() {
        let admin = Scopes::parse(&["admin"]).expect("valid");
        let read_write = Scopes::parse(&["read", "write"]).expect("valid");
        let read = Scopes::parse(&["read"]).expect("valid");
        assert!(read.narrows(&read_write));
        assert!(read_write.narrows(&admin));
        assert!(!admin.narrows(&read_write));
        assert!(!read_write.narrows(&read));
        assert!(read_write.narrows(&read_write));
    }

    #[test]
    fn read_does_not_imply_admin() {
        let read = Scopes::parse(&["read"]).expect("valid");
        assert!(read.allows(Scope::Read));
        assert!(!read.allows(Scope::Admin));
        assert!(!read.allows(Scope::Write));
    }
}
