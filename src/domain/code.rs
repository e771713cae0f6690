/// A verification code as typed: six ASCII digits, or four (the codes
/// ShopXO's own apps accept, sent through its `regverifysend`).
#[derive(Clone, PartialEq, Eq)]
pub struct Code(String);

impl Code {
    /// Anything else is malformed input, refused before any code is touched.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        (CodeDigits::ACCEPTED.contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_digit()))
            .then(|| Code(raw.to_string()))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How many digits a new code has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeDigits(usize);

impl CodeDigits {
    /// Every code but ShopXO's registration codes.
    pub const STANDARD: CodeDigits = CodeDigits(6);
    /// The lengths a code may have.
    const ACCEPTED: [usize; 2] = [4, 6];

    /// 4 or 6; anything else is a configuration mistake.
    pub fn new(digits: usize) -> Option<Self> {
        Self::ACCEPTED.contains(&digits).then_some(CodeDigits(digits))
    }

    /// The number of digits.
    pub fn get(self) -> usize {
        self.0
    }
}

// Codes must never reach the logs, even through `{:?}`.
impl std::fmt::Debug for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Code(******)")
    }
}
