//! Where a key may be used from: a list of IPv4/IPv6 addresses and CIDR blocks, empty for anywhere.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The most entries a key's list may have.
pub const MAX_ALLOWED_IPS: usize = 20;

/// One entry: an address block, stored as its network address and prefix length, so that two ways of
/// writing the same block are one value. A block of one address (`/32`, `/128`) is that address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IpBlock {
    network: IpAddr,
    prefix: u8,
}

/// Why one entry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IpBlockError {
    #[error("is not an IPv4 or IPv6 address or CIDR block")]
    NotAnAddress,
    #[error("has a prefix length that is not a whole number from 0 to {max}")]
    Prefix { max: u8 },
    /// `10.0.0.1/8`: refused rather than widened, since the writer may have meant the one address.
    #[error("has bits set after its prefix length: the block is written `{network}`")]
    HostBitsSet { network: String },
}

impl IpBlock {
    /// `203.0.113.7`, `198.51.100.0/24`, `2001:db8::/32`: an address (no zone, no brackets, no leading zeros
    /// in IPv4 octets), optionally `/` and a prefix length without sign or leading zeros, with no bits set
    /// after it. An IPv4-mapped IPv6 block (`::ffff:203.0.113.0/120`) is the IPv4 block it maps.
    pub fn parse(text: &str) -> Result<Self, IpBlockError> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address.parse().map_err(|_| IpBlockError::NotAnAddress)?;
        let max = max_prefix(address);
        let prefix = match prefix {
            None => max,
            Some(digits) => parse_prefix(digits, max).ok_or(IpBlockError::Prefix { max })?,
        };
        let network = masked(address, prefix);
        if network != address {
            return Err(IpBlockError::HostBitsSet {
                network: Self::canonical(network, prefix).to_string(),
            });
        }
        Ok(Self::canonical(network, prefix))
    }

    /// The block in its one written form: an IPv4-mapped IPv6 block of at least a /96 as IPv4.
    fn canonical(network: IpAddr, prefix: u8) -> Self {
        match network {
            IpAddr::V6(v6) if prefix >= 96 => match v6.to_ipv4_mapped() {
                Some(v4) => Self {
                    network: IpAddr::V4(v4),
                    prefix: prefix - 96,
                },
                None => Self { network, prefix },
            },
            _ => Self { network, prefix },
        }
    }

    /// Whether `address` is in this block; an IPv4-mapped IPv6 address is compared as its IPv4 address.
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        max_prefix(address) == max_prefix(self.network)
            && masked(address, self.prefix) == self.network
    }
}

impl fmt::Display for IpBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.prefix == max_prefix(self.network) {
            write!(f, "{}", self.network)
        } else {
            write!(f, "{}/{}", self.network, self.prefix)
        }
    }
}

fn max_prefix(address: IpAddr) -> u8 {
    match address {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

/// Digits only (no sign, no leading zero but `0` itself), at most `max`.
fn parse_prefix(digits: &str, max: u8) -> Option<u8> {
    let well_formed = !digits.is_empty()
        && digits.len() <= 3
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    well_formed
        .then(|| digits.parse::<u8>().ok())
        .flatten()
        .filter(|prefix| *prefix <= max)
}

/// `address` with every bit after the first `prefix` cleared.
fn masked(address: IpAddr, prefix: u8) -> IpAddr {
    match address {
        IpAddr::V4(v4) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask))
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
        }
    }
}

/// Why a list was refused: too long, or which entry and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllowedIpsError {
    #[error("at most {MAX_ALLOWED_IPS} entries are allowed, not {count}")]
    TooMany { count: usize },
    #[error("entry {index} {reason}")]
    Entry { index: usize, reason: IpBlockError },
}

/// A key's allowlist: empty is anywhere; otherwise only a source address inside one of its blocks passes.
/// Entries are normalised ([`IpBlock::parse`]) and duplicates dropped, order kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowedIps(Vec<IpBlock>);

impl AllowedIps {
    /// No restriction: what a key without a list has.
    pub fn anywhere() -> Self {
        Self::default()
    }

    /// Checks a requested list: at most [`MAX_ALLOWED_IPS`] entries (as given), each an address or block.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, AllowedIpsError> {
        if entries.len() > MAX_ALLOWED_IPS {
            return Err(AllowedIpsError::TooMany {
                count: entries.len(),
            });
        }
        let mut blocks = Vec::with_capacity(entries.len());
        for (index, entry) in entries.iter().enumerate() {
            let block = IpBlock::parse(entry.as_ref())
                .map_err(|reason| AllowedIpsError::Entry { index, reason })?;
            if !blocks.contains(&block) {
                blocks.push(block);
            }
        }
        Ok(Self(blocks))
    }

    /// Whether the list is empty: the key works from anywhere.
    pub fn is_anywhere(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether one of the entries holds `address` (never for an empty list: see [`AllowedIps::permits`]).
    pub fn contains(&self, address: IpAddr) -> bool {
        self.0.iter().any(|block| block.contains(address))
    }

    /// Whether a request from `source` may use the key: always when the list is empty; otherwise only from
    /// a known address inside it (an unknown source fails closed).
    pub fn permits(&self, source: Option<IpAddr>) -> bool {
        self.is_anywhere() || source.is_some_and(|address| self.contains(address))
    }

    /// The entries in their normalised form, in order, as the API returns and stores them.
    pub fn entries(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    fn list(entries: &[&str]) -> AllowedIps {
        AllowedIps::parse(entries).expect("valid")
    }

    fn refused(text: &str) -> IpBlockError {
        IpBlock::parse(text).expect_err(text)
    }

    #[test]
    fn entries_are_normalised() {
        let allowed = list(&[
            "203.0.113.7",
            "203.0.113.8/32",
            "2001:DB8::/32",
            "2001:0db8:0000:0000:0000:0000:0000:0001/128",
            "::ffff:198.51.100.7",
            "::ffff:198.51.100.0/120",
            "10.0.0.0/8",
        ]);
        assert_eq!(
            allowed.entries(),
            [
                "203.0.113.7",
                "203.0.113.8",
                "2001:db8::/32",
                "2001:db8::1",
                "198.51.100.7",
                "198.51.100.0/24",
                "10.0.0.0/8"
            ]
        );
    }

    #[test]
    fn duplicates_after_normalisation_are_dropped_and_order_kept() {
        let allowed = list(&[
            "10.0.0.0/8",
            "203.0.113.7/32",
            "203.0.113.7",
            "::ffff:203.0.113.7",
        ]);
        assert_eq!(allowed.entries(), ["10.0.0.0/8", "203.0.113.7"]);
    }

    #[test]
    fn an_empty_list_is_anywhere_and_permits_even_an_unknown_source() {
        let anywhere = list(&[]);
        assert!(anywhere.is_anywhere());
        assert!(anywhere.permits(None));
        assert!(anywhere.permits(Some(ip("192.0.2.1"))));
        assert!(!anywhere.contains(ip("192.0.2.1")));
    }

    #[test]
    fn a_list_refuses_an_unknown_source() {
        assert!(!list(&["0.0.0.0/0", "::/0"]).permits(None));
    }

    #[test]
    fn twenty_entries_are_the_limit_counted_as_given() {
        let twenty: Vec<String> = (0..20).map(|i| format!("192.0.2.{i}")).collect();
        assert_eq!(
            AllowedIps::parse(&twenty).expect("valid").entries().len(),
            20
        );
        let same_twenty_one = vec!["192.0.2.1"; 21];
        assert_eq!(
            AllowedIps::parse(&same_twenty_one),
            Err(AllowedIpsError::TooMany { count: 21 })
        );
    }

    #[test]
    fn the_refused_entry_is_named_by_its_index() {
        assert_eq!(
            AllowedIps::parse(&["192.0.2.1", "192.0.2.2", "nope"]),
            Err(AllowedIpsError::Entry {
                index: 2,
                reason: IpBlockError::NotAnAddress
            })
        );
    }

    #[test]
    fn slash_zero_holds_every_address_of_its_family_only() {
        let v4 = list(&["0.0.0.0/0"]);
        assert!(v4.contains(ip("0.0.0.0")));
        assert!(v4.contains(ip("255.255.255.255")));
        assert!(v4.contains(ip("::ffff:192.0.2.1")), "mapped is IPv4");
        assert!(!v4.contains(ip("2001:db8::1")));
        let v6 = list(&["::/0"]);
        assert!(v6.contains(ip("::")));
        assert!(v6.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
        assert!(!v6.contains(ip("192.0.2.1")));
        assert_eq!(
            refused("1.2.3.4/0").to_string(),
            "has bits set after its prefix length: the block is written `0.0.0.0/0`"
        );
    }

    #[test]
    fn slash_32_and_slash_128_hold_one_address() {
        let one = list(&["192.0.2.7/32", "2001:db8::7/128"]);
        assert_eq!(one.entries(), ["192.0.2.7", "2001:db8::7"]);
        assert!(one.contains(ip("192.0.2.7")));
        assert!(!one.contains(ip("192.0.2.6")));
        assert!(!one.contains(ip("192.0.2.8")));
        assert!(one.contains(ip("2001:db8::7")));
        assert!(!one.contains(ip("2001:db8::6")));
        assert!(!one.contains(ip("2001:db8::8")));
    }

    #[test]
    fn a_block_holds_its_first_and_last_address_and_not_one_beyond_either() {
        let v4 = list(&["198.51.100.0/24"]);
        assert!(v4.contains(ip("198.51.100.0")));
        assert!(v4.contains(ip("198.51.100.255")));
        assert!(!v4.contains(ip("198.51.99.255")));
        assert!(!v4.contains(ip("198.51.101.0")));
        let v6 = list(&["2001:db8:1::/48"]);
        assert!(v6.contains(ip("2001:db8:1::")));
        assert!(v6.contains(ip("2001:db8:1:ffff:ffff:ffff:ffff:ffff")));
        assert!(!v6.contains(ip("2001:db8:0:ffff:ffff:ffff:ffff:ffff")));
        assert!(!v6.contains(ip("2001:db8:2::")));
        let odd = list(&["10.0.0.0/13"]);
        assert!(odd.contains(ip("10.7.255.255")));
        assert!(!odd.contains(ip("10.8.0.0")));
    }

    #[test]
    fn host_bits_set_are_refused_naming_the_block() {
        assert_eq!(
            refused("10.0.0.1/8"),
            IpBlockError::HostBitsSet {
                network: "10.0.0.0/8".to_owned()
            }
        );
        assert_eq!(
            refused("2001:db8::1/32"),
            IpBlockError::HostBitsSet {
                network: "2001:db8::/32".to_owned()
            }
        );
    }

    #[test]
    fn mapped_addresses_are_their_ipv4_address() {
        let allowed = list(&["192.0.2.7"]);
        assert!(allowed.contains(ip("::ffff:192.0.2.7")));
        assert!(!allowed.contains(ip("::ffff:192.0.2.8")));
        let mapped_block = list(&["::ffff:192.0.2.0/120"]);
        assert_eq!(mapped_block.entries(), ["192.0.2.0/24"]);
        assert!(mapped_block.contains(ip("192.0.2.200")));
        assert!(mapped_block.contains(ip("::ffff:192.0.2.200")));
        // A block wider than the mapped range stays IPv6 (it has host bits inside `::ffff:0:0/96`).
        assert!(matches!(
            refused("::ffff:0:0/80"),
            IpBlockError::HostBitsSet { .. }
        ));
    }

    #[test]
    fn zones_brackets_leading_zeros_and_other_shapes_are_refused() {
        for bad in [
            "",
            " 192.0.2.1",
            "192.0.2.1 ",
            "fe80::1%eth0",
            "fe80::1%1",
            "[2001:db8::1]",
            "[2001:db8::1]/64",
            "010.0.0.1",
            "10.0.0.01",
            "::ffff:010.0.0.1",
            "192.0.2",
            "192.0.2.256",
            "192.0.2.1.5",
            "localhost",
            "2001:db8:::1",
            "0x7f.0.0.1",
            "/24",
        ] {
            assert_eq!(refused(bad), IpBlockError::NotAnAddress, "{bad:?}");
        }
    }

    #[test]
    fn prefixes_are_plain_numbers_within_the_family() {
        for (bad, max) in [
            ("192.0.2.0/", 32),
            ("192.0.2.0/33", 32),
            ("192.0.2.0/+24", 32),
            ("192.0.2.0/024", 32),
            ("192.0.2.0/24/24", 32),
            ("192.0.2.0/-1", 32),
            ("192.0.2.0/ 24", 32),
            ("192.0.2.0/2a", 32),
            ("2001:db8::/129", 128),
            ("2001:db8::/0032", 128),
            ("2001:db8::/1000", 128),
        ] {
            assert_eq!(refused(bad), IpBlockError::Prefix { max }, "{bad:?}");
        }
        assert!(IpBlock::parse("0.0.0.0/0").is_ok());
    }
}
