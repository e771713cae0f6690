//! Where verification codes come from: the operating system's CSPRNG in
//! service, a fixed sequence in tests that must know the next code.

use rand::Rng;

/// Makes the digits of a new verification code.
pub trait CodeGenerator: Send + Sync {
    /// `digits` decimal digits, leading zeros kept.
    fn generate(&self, digits: usize) -> String;
}

/// Uniform random digits from the thread-local CSPRNG (ChaCha, seeded by the OS).
pub struct RandomCodes;

impl CodeGenerator for RandomCodes {
    fn generate(&self, digits: usize) -> String {
        let bound = 10u32.pow(digits as u32);
        format!("{:0digits$}", rand::rng().random_range(0..bound))
    }
}

#[cfg(test)]
mod tests {
    use super::{CodeGenerator, RandomCodes};

    #[test]
    fn random_codes_have_the_asked_length_and_vary() {
        let codes: Vec<String> = (0..50).map(|_| RandomCodes.generate(6)).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
        );
        assert!(codes.iter().any(|c| c != &codes[0]), "50 codes were all {}", codes[0]);
        assert!((0..50).map(|_| RandomCodes.generate(4)).all(|c| c.len() == 4));
    }
}
