//! Every sign-in ends here once: counted for `/metrics` and, when it failed,
//! logged at `info` with the account masked and the reason code, so an
//! operator can follow an attack or a user's complaint without the log ever
//! holding a full mobile, an email or a secret.

use crate::domain::mask_mobile;
use crate::error::AppError;
use crate::messaging::mask_email;
use crate::metrics::{Metrics, SignInMethod};

/// Counts and (on failure) logs one sign-in; `account` is what the caller
/// typed, if the method has one.
pub(crate) fn record<T>(metrics: &Metrics, method: SignInMethod, account: Option<&str>, result: &Result<T, AppError>) {
    metrics.sign_in(method, result.as_ref().map(|_| ()));
    if let Err(err) = result {
        tracing::info!(
            method = method.as_str(),
            account = account.map(masked_account).as_deref().unwrap_or("-"),
            reason = err.code(),
            "sign-in failed"
        );
    }
}

/// Enough of an account identifier to match a complaint, never all of it:
/// `138****0000`, `a***@example.cn`, `al***` (a username's first two letters).
pub(crate) fn masked_account(raw: &str) -> String {
    let raw = raw.trim();
    if raw.contains('@') {
        return mask_email(raw);
    }
    let is_number = !raw.is_empty() && raw.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-'));
    if is_number {
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        return mask_mobile(&digits);
    }
    let head: String = raw.chars().take(2).collect();
    format!("{head}***")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_masked_in_every_shape() {
        assert_eq!(masked_account("13800138000"), "138****8000");
        assert_eq!(masked_account("+86 138 0013 8000"), "861****8000");
        assert_eq!(masked_account("alice@example.cn"), "a***@example.cn");
        assert_eq!(masked_account("alice_wang"), "al***");
        assert_eq!(masked_account("张三丰"), "张三***");
        assert_eq!(masked_account(""), "***");
    }
}
