//! Why a message was not delivered, in words safe to log.

/// Why a message was not delivered.
///
/// The Display text is safe to log and to show operators: it never contains
/// the verification code, a secret, or a full recipient address.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The provider answered and refused the message (bad signature, quota,
    /// unapproved template, ...). `code`/`message` are the provider's own.
    #[error("{provider} refused the message: {code}: {message}")]
    Rejected {
        /// Which provider answered.
        provider: &'static str,
        /// The provider's error code.
        code: String,
        /// The provider's error message, with the verification code scrubbed.
        message: String,
    },
    /// The provider answered with a non-2xx HTTP status and no usable body.
    #[error("{provider} answered HTTP {status}")]
    HttpStatus {
        /// Which provider answered.
        provider: &'static str,
        /// The HTTP status code.
        status: u16,
    },
    /// The provider did not answer within the configured timeout.
    #[error("{provider} did not answer in time")]
    Timeout {
        /// Which provider timed out.
        provider: &'static str,
    },
    /// The provider could not be reached, or the answer could not be read.
    #[error("{provider} could not be reached: {detail}")]
    Transport {
        /// Which provider failed.
        provider: &'static str,
        /// What went wrong, without URLs or message content.
        detail: String,
    },
    /// The provider answered 2xx but with a body we could not understand, so
    /// we cannot claim the message went out.
    #[error("{provider} gave an unreadable answer")]
    BadResponse {
        /// Which provider answered.
        provider: &'static str,
    },
    /// The recipient is not in a form this provider can send to.
    #[error("recipient is not a valid {kind}")]
    InvalidRecipient {
        /// `phone number` or `email address`.
        kind: &'static str,
    },
    /// The provider is configured wrongly (bad URL, bad sender address, ...).
    #[error("messaging is misconfigured: {0}")]
    Misconfigured(String),
    /// The outbox file could not be written.
    #[error("outbox write failed: {0}")]
    Outbox(#[from] std::io::Error),
}

impl DeliveryError {
    /// Map a reqwest failure, keeping URLs out of the text because some
    /// providers' endpoints carry account identifiers.
    pub(crate) fn from_reqwest(provider: &'static str, err: reqwest::Error) -> Self {
        if err.is_timeout() {
            return DeliveryError::Timeout { provider };
        }
        DeliveryError::Transport {
            provider,
            detail: err.without_url().to_string(),
        }
    }
}
