/// A syntactically valid email address, lower-cased and trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Lower-cases the whole address: mailbox case-sensitivity is a theory no
    /// Chinese mail provider practises, and one person must not get two accounts.
    pub fn parse(raw: &str) -> Option<Self> {
        let normalised = raw.trim().to_lowercase();
        let (local, domain) = normalised.split_once('@')?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = domain.len() <= 253
            && labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels.last().is_some_and(|tld| tld.len() >= 2);
        (local_ok && domain_ok).then_some(Email(normalised))
    }

    /// Builds from a value already stored normalised.
    pub fn from_stored(stored: String) -> Self {
        Email(stored)
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_refuses_garbage() {
        assert_eq!(
            Email::parse(" A.B@Example.CN ").map(|e| e.0),
            Some("a.b@example.cn".into())
        );
        for raw in [
            "",
            "a",
            "a@",
            "@b.cn",
            "a@b",
            "a@@b.cn",
            "a b@c.cn",
            "a@-b.cn",
            "a..b@c.cn",
        ] {
            assert_eq!(Email::parse(raw), None, "{raw}");
        }
    }
}
