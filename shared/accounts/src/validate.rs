//! Value rules for names, emails, expiry and allowlists, shared by signup and key changes (and the fuzz
//! targets).

use auth::{AllowedIps, AllowedIpsError};

use crate::AccountError;

/// Longest organisation or key name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest key lifetime: ten years.
pub const MAX_EXPIRES_IN_DAYS: i64 = 3650;
const MAX_EMAIL_CHARS: usize = 254;
const MAX_EMAIL_LOCAL_CHARS: usize = 64;

/// The invisible format characters a name may not carry, with their Unicode names: each reorders or hides
/// text, so a name holding one can show as another ("\u{202E}noitcudorp" reads as "production"). ZWJ and
/// ZWNJ (U+200D, U+200C) are not here: emoji sequences and scripts such as Persian need them.
const DISGUISING_CHARS: &[(char, &str)] = &[
    ('\u{061C}', "ARABIC LETTER MARK"),
    ('\u{200B}', "ZERO WIDTH SPACE"),
    ('\u{200E}', "LEFT-TO-RIGHT MARK"),
    ('\u{200F}', "RIGHT-TO-LEFT MARK"),
    ('\u{202A}', "LEFT-TO-RIGHT EMBEDDING"),
    ('\u{202B}', "RIGHT-TO-LEFT EMBEDDING"),
    ('\u{202C}', "POP DIRECTIONAL FORMATTING"),
    ('\u{202D}', "LEFT-TO-RIGHT OVERRIDE"),
    ('\u{202E}', "RIGHT-TO-LEFT OVERRIDE"),
    ('\u{2060}', "WORD JOINER"),
    ('\u{2066}', "LEFT-TO-RIGHT ISOLATE"),
    ('\u{2067}', "RIGHT-TO-LEFT ISOLATE"),
    ('\u{2068}', "FIRST STRONG ISOLATE"),
    ('\u{2069}', "POP DIRECTIONAL ISOLATE"),
    ('\u{FEFF}', "ZERO WIDTH NO-BREAK SPACE"),
];

/// A name: trimmed, 1 to 100 characters, no control characters and none of the invisible characters that
/// reorder or hide text ([`DISGUISING_CHARS`]), so a name shows as what it is. Any script is welcome.
pub fn name(param: &'static str, raw: &str) -> Result<String, AccountError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(AccountError::invalid(
            param,
            format!("`{param}` must not be empty."),
        ));
    }
    if trimmed.chars().count() > MAX_NAME_CHARS {
        return Err(AccountError::invalid(
            param,
            format!("`{param}` must be at most {MAX_NAME_CHARS} characters."),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(AccountError::invalid(
            param,
            format!("`{param}` must not contain control characters."),
        ));
    }
    if let Some((c, unicode_name)) = trimmed
        .chars()
        .find_map(|c| DISGUISING_CHARS.iter().find(|(bad, _)| *bad == c))
    {
        // Named by code point, never echoed: the character is invisible and would disguise the message too.
        return Err(AccountError::invalid(
            param,
            format!(
                "U+{:04X} {unicode_name} is not allowed in `{param}`: it reorders or hides text.",
                u32::from(*c)
            ),
        ));
    }
    Ok(trimmed.to_owned())
}

/// An email address as typed, and the form two addresses are compared in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    /// Trimmed, otherwise as typed: what the organisation shows.
    pub address: String,
    /// What makes two addresses the same one ([`email`]): the key the address is reserved under.
    pub normalised: String,
}

/// An email address: trimmed, `local@domain` with a dotted domain, no spaces or control characters,
/// at most 254 characters; kept as typed.
///
/// Two addresses are the same when their normalised forms are equal: the local part through NFKC, full
/// case folding and NFKC again (Unicode's compatibility caseless match: `ａdmin` is `admin`, `Straße` is
/// `strasse`), the domain through UTS 46 (IDNA) to its ASCII form (`ＥXAMPLE.com` and `example.com`,
/// `bücher.de` and `xn--bcher-kva.de`). A domain UTS 46 refuses is a 400 naming `email`.
pub fn email(raw: &str) -> Result<Email, AccountError> {
    let invalid = || AccountError::invalid("email", "`email` must be a valid email address.");
    let trimmed = raw.trim();
    if trimmed.chars().count() > MAX_EMAIL_CHARS {
        return Err(invalid());
    }
    let (local, domain) = trimmed.split_once('@').ok_or_else(invalid)?;
    let local_ok = !local.is_empty()
        && local.chars().count() <= MAX_EMAIL_LOCAL_CHARS
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !"@\"(),:;<>[\\]".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.chars().count() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c == '-' || c.is_alphanumeric())
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic));
    if !(local_ok && domain_ok) {
        return Err(invalid());
    }
    let domain = idna::domain_to_ascii_strict(domain).map_err(|_| {
        AccountError::invalid(
            "email",
            "The domain of `email` is not a valid internationalised domain name (UTS 46).",
        )
    })?;
    Ok(Email {
        address: trimmed.to_owned(),
        normalised: format!("{}@{domain}", normalised_local_part(local)),
    })
}

/// NFKC, full case folding, NFKC: folding can undo a composition, and the second pass makes the form
/// unique again.
fn normalised_local_part(local: &str) -> String {
    let nfkc = icu_normalizer::ComposingNormalizerBorrowed::new_nfkc();
    let folded = icu_casemap::CaseMapper::new()
        .fold_string(&nfkc.normalize(local))
        .into_owned();
    nfkc.normalize(&folded).into_owned()
}

/// `expires_in_days`: 1 to 3650, when given.
pub fn expires_in_days(days: i64) -> Result<u64, AccountError> {
    if (1..=MAX_EXPIRES_IN_DAYS).contains(&days) {
        Ok(days.unsigned_abs())
    } else {
        Err(AccountError::invalid(
            "expires_in_days",
            format!("`expires_in_days` must be between 1 and {MAX_EXPIRES_IN_DAYS}, or null for a key that never expires."),
        ))
    }
}

/// `allowed_ips`: at most 20 addresses or CIDR blocks, normalised ([`AllowedIps::parse`]); a refused entry
/// is named by its index (`allowed_ips[3]`).
pub fn allowed_ips(entries: &[String]) -> Result<AllowedIps, AccountError> {
    const SHAPE: &str = "Entries are IPv4 or IPv6 addresses or CIDR blocks, such as 203.0.113.7, \
                         198.51.100.0/24 or 2001:db8::/32; an empty list allows any address.";
    AllowedIps::parse(entries).map_err(|err| match err {
        AllowedIpsError::TooMany { count } => AccountError::invalid(
            "allowed_ips",
            format!(
                "`allowed_ips` has {count} entries: at most {} are allowed.",
                auth::MAX_ALLOWED_IPS
            ),
        ),
        AllowedIpsError::Entry { index, reason } => {
            let param = format!("allowed_ips[{index}]");
            let message = format!("`{param}` {reason}. {SHAPE}");
            AccountError::invalid(param, message)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed() {
        assert_eq!(name("name", "  My Company ").expect("valid"), "My Company");
    }

    #[test]
    fn unicode_names_are_kept_intact() {
        assert_eq!(
            name("name", "Société Ünïcødé 東京 🚀").expect("valid"),
            "Société Ünïcødé 東京 🚀"
        );
    }

    #[test]
    fn blank_names_are_refused() {
        assert!(name("name", "   ").is_err());
    }

    #[test]
    fn a_hundred_characters_is_the_limit() {
        assert!(name("name", &"é".repeat(100)).is_ok());
        assert!(name("name", &"é".repeat(101)).is_err());
    }

    #[test]
    fn control_characters_are_refused() {
        assert!(name("name", "bad\u{0}name").is_err());
        assert!(name("name", "bad\nname").is_err());
    }

    #[test]
    fn every_character_that_reorders_or_hides_text_is_refused_by_its_code_point() {
        for (c, unicode_name) in DISGUISING_CHARS {
            let raw = format!("prod{c}uction");
            let Err(AccountError::InvalidField { param, message }) = name("name", &raw) else {
                panic!("U+{:04X} was accepted", u32::from(*c));
            };
            assert_eq!(param, "name");
            assert!(
                message.starts_with(&format!("U+{:04X} {unicode_name} ", u32::from(*c))),
                "{message}"
            );
            assert!(
                !message.contains(*c),
                "the message echoes U+{:04X}",
                u32::from(*c)
            );
        }
    }

    #[test]
    fn a_bidi_override_cannot_make_a_name_read_as_production() {
        let Err(AccountError::InvalidField { message, .. }) = name("name", "\u{202E}noitcudorp")
        else {
            panic!("accepted");
        };
        assert_eq!(
            message,
            "U+202E RIGHT-TO-LEFT OVERRIDE is not allowed in `name`: it reorders or hides text."
        );
    }

    #[test]
    fn the_listed_characters_are_exactly_the_refused_set() {
        let listed: Vec<u32> = DISGUISING_CHARS
            .iter()
            .map(|(c, _)| u32::from(*c))
            .collect();
        let mut expected = vec![0x061C, 0x200B, 0x200E, 0x200F, 0x2060, 0xFEFF];
        expected.extend(0x202A..=0x202E);
        expected.extend(0x2066..=0x2069);
        expected.sort_unstable();
        let mut sorted = listed.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, expected);
    }

    #[test]
    fn zwj_emoji_and_zwnj_words_are_kept_intact() {
        // Woman + ZWJ + laptop is one emoji; the Persian "mi-khaham" ("I want") needs a ZWNJ between its parts.
        for ok in [
            "👩\u{200D}💻 laptop",
            "می\u{200C}خواهم",
            "שלום 123",
            "مرحبا 42",
        ] {
            assert_eq!(name("name", ok).expect("valid"), ok);
        }
    }

    #[test]
    fn ordinary_emails_are_accepted() {
        for ok in ["admin@mycompany.com", "a.b+tag@sub.example.co.uk", "x@b.io"] {
            assert!(email(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@localhost",
            "a@@example.com",
            "a b@example.com",
            "a@exa mple.com",
            "a@example.c",
            "a@-example.com",
            "a@example..com",
            "a\u{7}@example.com",
            ".a@example.com",
        ] {
            assert!(email(bad).is_err(), "{bad:?}");
        }
        assert!(email(&format!("{}@example.com", "a".repeat(65))).is_err());
        assert!(email(&format!("a@{}.com", "b".repeat(250))).is_err());
    }

    fn normalised(raw: &str) -> String {
        email(raw).expect("valid").normalised
    }

    #[test]
    fn an_email_is_kept_as_typed_and_compared_normalised() {
        let typed = email("  Admin@MyCompany.com ").expect("valid");
        assert_eq!(typed.address, "Admin@MyCompany.com");
        assert_eq!(typed.normalised, "admin@mycompany.com");
    }

    #[test]
    fn look_alike_emails_have_one_normalised_form() {
        for (a, b) in [
            ("\u{FF41}dmin@example.com", "admin@example.com"),
            ("Straße@example.com", "strasse@example.com"),
            ("STRASSE@example.com", "straße@example.com"),
            ("admin@\u{FF25}XAMPLE.com", "admin@example.com"),
            ("ﬁle@example.com", "file@example.com"),
            ("José@bücher.de", "jose\u{301}@xn--bcher-kva.de"),
            ("ΣΊΣΥΦΟΣ@example.com", "σίσυφος@example.com"),
        ] {
            assert_eq!(normalised(a), normalised(b), "{a} and {b}");
        }
        assert_ne!(
            normalised("admin@example.com"),
            normalised("admin2@example.com")
        );
        assert_eq!(normalised("José@bücher.de"), "josé@xn--bcher-kva.de");
    }

    #[test]
    fn a_domain_uts46_refuses_is_an_invalid_email() {
        for bad in ["a@xn--a.com", "a@ab--cd.com", "a@\u{5D0}a.com"] {
            match email(bad) {
                Err(AccountError::InvalidField { param, .. }) => {
                    assert_eq!(param, "email", "{bad}")
                }
                other => panic!("{bad:?}: expected a 400 naming email, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_refused_allowlist_entry_is_named_by_its_index() {
        let entries = ["203.0.113.7", "10.0.0.1/8"].map(str::to_owned);
        let Err(AccountError::InvalidField { param, message }) = allowed_ips(&entries) else {
            panic!("accepted");
        };
        assert_eq!(param, "allowed_ips[1]");
        assert!(message.contains("`10.0.0.0/8`"), "{message}");
        let many: Vec<String> = (0..21).map(|i| format!("192.0.2.{i}")).collect();
        let Err(AccountError::InvalidField { param, .. }) = allowed_ips(&many) else {
            panic!("accepted");
        };
        assert_eq!(param, "allowed_ips");
    }

    #[test]
    fn expiry_is_one_day_to_ten_years() {
        assert!(expires_in_days(0).is_err());
        assert!(expires_in_days(-1).is_err());
        assert_eq!(expires_in_days(1).expect("valid"), 1);
        assert_eq!(expires_in_days(3650).expect("valid"), 3650);
        assert!(expires_in_days(3651).is_err());
    }
}
