use super::Mobile;

/// A username: 2–18 letters, digits or underscores (ShopXO's rule), and not
/// something that reads as a phone number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// Refuses names that parse as a mobile, so `login(account)` can never
    /// mistake one user's username for another user's mobile.
    pub fn parse(raw: &str, region: phonenumber::country::Id) -> Option<Self> {
        Self::parse_not_mobile(raw).filter(|_| Mobile::parse(raw, region).is_none())
    }

    /// The shape check alone, for a caller that has just found `raw` is not
    /// a mobile: reading text as a phone number is nearly all that `parse`
    /// costs (about 50 µs a call for a username, in a release build).
    pub(super) fn parse_not_mobile(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let shape_ok = (2..=18).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        shape_ok.then(|| Username(raw.to_string()))
    }

    /// As typed, for display.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive unique key.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use phonenumber::country::Id::CN;

    #[test]
    fn follows_the_shopxo_shape() {
        assert!(Username::parse("pppppp", CN).is_some());
        assert!(Username::parse("a_1", CN).is_some());
        for raw in ["a", "abcdefghijklmnopqrs", "有中文", "a-b", "a b", "13113690000"] {
            assert!(Username::parse(raw, CN).is_none(), "{raw}");
        }
    }

    #[test]
    fn key_ignores_letter_case() {
        let upper = Username::parse("Alice", CN).expect("valid");
        let lower = Username::parse("alice", CN).expect("valid");
        assert_eq!(upper.key(), lower.key());
    }
}
