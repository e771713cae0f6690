//! The captcha gate before sending (DESIGN §8, `ZHANGHAO_SEND_CAPTCHA`): once
//! a client IP has had N codes sent in the last hour, a send needs a solved
//! captcha, the built-in image one or a ticket of `ZHANGHAO_CAPTCHA_PROVIDER`;
//! then the send is charged to the IP.

use std::net::IpAddr;

use super::{Codes, IP_WINDOW_SECONDS, ip_charge_key};
use crate::captcha_providers::Verdict;
use crate::config::SendCaptchaRule;
use crate::error::AppError;
use crate::service::RequestMeta;
use crate::store;

/// How long a passed provider ticket is remembered as spent: longer than any
/// provider lets one live (Tencent 5 minutes, Aliyun's records 20).
const SPENT_TICKET_SECONDS: i64 = 3_600;

/// What a send request offers to pass the captcha gate (`ZHANGHAO_SEND_CAPTCHA`).
#[derive(Debug, Clone, Copy)]
pub enum SendCaptcha<'a> {
    /// Nothing solved: refused with CAPTCHA_REQUIRED once the gate is up.
    None,
    /// The built-in image captcha (single use): its id and the typed answer.
    /// Accepted while `ZHANGHAO_CAPTCHA_PROVIDER=image`; with a provider set,
    /// GraphQL clients must bring that provider's ticket (CAPTCHA_INVALID).
    Image { id: &'a str, answer: &'a str },
    /// A ticket of the configured provider, checked with it, single use.
    /// With `ZHANGHAO_CAPTCHA_PROVIDER=image` there is no one to check it
    /// with: CAPTCHA_INVALID.
    Ticket { ticket: &'a str, randstr: &'a str },
    /// The image captcha of a legacy protocol that knows no other (ShopXO's
    /// `regverifysend` with `verify` + `uuid`): accepted whatever the provider.
    LegacyImage { id: &'a str, answer: &'a str },
    /// A legacy client whose protocol has no captcha (Discuz! Q's send):
    /// the regions, the budget and the per-IP and per-target limits bound it.
    NotAsked,
}

impl<'a> SendCaptcha<'a> {
    /// From a legacy form's image captcha id and answer: both present (and
    /// non-empty) or None.
    pub fn from_fields(id: Option<&'a str>, answer: Option<&'a str>) -> Self {
        match (id.map(str::trim), answer.map(str::trim)) {
            (Some(id), Some(answer)) if !id.is_empty() && !answer.is_empty() => SendCaptcha::LegacyImage { id, answer },
            _ => SendCaptcha::None,
        }
    }

    /// From GraphQL's four fields: a ticket when one is given, else the image
    /// captcha when both its fields are, else None.
    pub fn from_inputs(
        id: Option<&'a str>,
        answer: Option<&'a str>,
        ticket: Option<&'a str>,
        randstr: Option<&'a str>,
    ) -> Self {
        match ticket.map(str::trim).filter(|t| !t.is_empty()) {
            Some(ticket) => SendCaptcha::Ticket {
                ticket,
                randstr: randstr.map(str::trim).unwrap_or(""),
            },
            None => match SendCaptcha::from_fields(id, answer) {
                SendCaptcha::LegacyImage { id, answer } => SendCaptcha::Image { id, answer },
                other => other,
            },
        }
    }
}

impl Codes {
    /// Charges one send to the client's IP (20 an hour by default), after the
    /// captcha gate. Called before anything about the target is looked up, so
    /// neither sending nor the "taken / unknown" answers can be had without
    /// paying for them.
    pub async fn charge_client_ip(
        &self,
        target: &str,
        captcha: SendCaptcha<'_>,
        meta: &RequestMeta,
    ) -> Result<(), AppError> {
        if self.fixed_code(target).is_some() {
            return Ok(());
        }
        if let Some(ip) = meta.ip {
            let required = match self.settings.send_captcha {
                SendCaptchaRule::Off => false,
                SendCaptchaRule::Always => true,
                SendCaptchaRule::After(n) => {
                    self.limits.sliding_count(&ip_charge_key(ip), IP_WINDOW_SECONDS).await? >= i64::from(n)
                }
            };
            if required {
                self.pass_gate(captcha, ip).await?;
            }
            self.limits
                .hit(&ip_charge_key(ip), IP_WINDOW_SECONDS, self.settings.sends_per_ip_hourly)
                .await?;
        }
        Ok(())
    }

    /// Checks what the request offers against the gate.
    async fn pass_gate(&self, captcha: SendCaptcha<'_>, ip: IpAddr) -> Result<(), AppError> {
        match captcha {
            SendCaptcha::Image { .. } if self.captcha_provider.is_some() => Err(AppError::CaptchaInvalid),
            SendCaptcha::Image { id, answer } | SendCaptcha::LegacyImage { id, answer } => {
                self.captchas.solve(id, answer).await
            }
            SendCaptcha::Ticket { ticket, randstr } => self.check_ticket(ticket, randstr, ip).await,
            SendCaptcha::None => Err(AppError::CaptchaRequired),
            SendCaptcha::NotAsked => Ok(()),
        }
    }

    /// Asks the provider; a pass is then spent here too (a conditional
    /// insert shared by all nodes), since not every provider refuses a
    /// replayed solve itself. A provider that gives no verdict is
    /// SERVICE_UNAVAILABLE: its detail is logged, never shown.
    async fn check_ticket(&self, ticket: &str, randstr: &str, ip: IpAddr) -> Result<(), AppError> {
        let Some(provider) = &self.captcha_provider else {
            return Err(AppError::CaptchaInvalid);
        };
        match provider.verify(ticket, randstr, ip).await {
            Ok(Verdict::Pass { once_key }) => {
                let key = format!(
                    "captcha:ticket:{}",
                    self.hmac.hex(&["captcha ticket", provider.name(), &once_key])
                );
                let now = self.clock.now().timestamp();
                match store::counters::claim_gap(&self.db, &key, now, SPENT_TICKET_SECONDS).await? {
                    None => Ok(()),
                    Some(_) => Err(AppError::CaptchaInvalid),
                }
            }
            Ok(Verdict::Reject { reason }) => {
                tracing::info!(provider = provider.name(), %reason, "captcha ticket refused");
                Err(AppError::CaptchaInvalid)
            }
            Err(err) => Err(AppError::ServiceUnavailable(err.to_string())),
        }
    }
}
