//! Adapter from the crate's typed [`Config`] to [`build_senders`]. Kept
//! apart from the providers so `mod.rs` does not depend on the config layer.

use std::sync::Arc;

use super::{EmailChoice, EmailSender, Outbox, SmsChoice, SmsSender, build_senders};
use crate::config::{Config, EmailProvider, SmsProvider};
use crate::error::AppError;

/// SMS sender, email sender, and whether the outbox is in use.
pub type SenderTuple = (Arc<dyn SmsSender>, Arc<dyn EmailSender>, bool);

/// Build the SMS and email senders named by the config; the `bool` says
/// whether the outbox is in use. Providers other than the outbox need their
/// settings added to [`Config`] and mapped onto [`SmsChoice`]/[`EmailChoice`]
/// here; until then choosing one fails start-up instead of silently falling
/// back to the outbox.
pub fn senders_from_config(config: &Config, outbox: Arc<Outbox>) -> Result<SenderTuple, AppError> {
    let sms = match config.sms_provider {
        SmsProvider::Outbox => SmsChoice::Outbox,
        other => return Err(not_wired("sms", &format!("{other:?}"))),
    };
    let email = match config.email_provider {
        EmailProvider::Outbox => EmailChoice::Outbox,
        other => return Err(not_wired("email", &format!("{other:?}"))),
    };
    let senders = build_senders(sms, email, outbox).map_err(|e| AppError::Internal(format!("messaging: {e}")))?;
    Ok((senders.sms, senders.email, senders.outbox_used))
}

fn not_wired(channel: &str, provider: &str) -> AppError {
    AppError::Internal(format!("{channel} provider {provider} has no settings in Config yet"))
}
