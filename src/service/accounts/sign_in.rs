//! What every sign-in writes, whatever proved who the user is: the login
//! time, the history, a new session and its tokens, in one transaction.

use super::{Accounts, AuthOutcome};
use crate::domain::User;
use crate::error::AppError;
use crate::metrics::SignInMethod;
use crate::service::codes::PresentedCode;
use crate::service::rules::Entering;
use crate::service::tickets::LiveTicket;
use crate::service::tokens::TokenPair;
use crate::service::{RequestMeta, limits};
use crate::store::{self, Txn};

impl Accounts {
    /// Issues tokens for a user who has proven who they are, redeeming a bind
    /// ticket first when one is given; a code the proof rests on is spent,
    /// and the sign-in written to the login history, in the same transaction.
    pub async fn sign_in(
        &self,
        user: User,
        ticket: Option<&LiveTicket>,
        meta: &RequestMeta,
        spend: Option<PresentedCode<'_>>,
        method: SignInMethod,
    ) -> Result<AuthOutcome, AppError> {
        self.rules.admit(Entering::Existing(&user))?;
        let txn = self.codes.begin_spending(spend).await?;
        let mut user = match ticket {
            Some(ticket) => self.tickets.redeem(&txn, user, ticket).await?,
            None => user,
        };
        let tokens = self.write_sign_in(&txn, &mut user, meta, Some(method), true).await?;
        store::commit(txn).await?;
        Ok(AuthOutcome {
            user,
            tokens,
            created: false,
        })
    }

    /// Writes what every sign-in writes, in `txn` and together, sent with
    /// its commit: the end of `user`'s password failure streaks (with
    /// `clear_failures`), the login time, the history when `method` is a
    /// sign-in (not a sign-up), and a new session, whose tokens it answers.
    /// `user` gets the login time and address too, so the sign-in's answer
    /// shows the same `lastLoginAt` as a `me` right after it.
    pub async fn write_sign_in(
        &self,
        txn: &Txn,
        user: &mut User,
        meta: &RequestMeta,
        method: Option<SignInMethod>,
        clear_failures: bool,
    ) -> Result<TokenPair, AppError> {
        let mut writes = store::Writes::new(txn);
        if clear_failures {
            limits::clear_failures_to(&mut writes, user);
        }
        // PostgreSQL keeps microseconds; the answer shows what `me` will read.
        let now = chrono::SubsecRound::trunc_subsecs(self.clock.now(), 6);
        let ip = meta.ip_text();
        store::users::touch_login(&mut writes, user.id, ip.clone(), now);
        user.last_login_at = Some(now);
        user.last_login_ip = ip;
        if let Some(method) = method {
            self.sign_ins.succeeded(&mut writes, method, user.id, meta);
        }
        let tokens = self.tokens.issue_to(&mut writes, user, meta)?;
        writes.run_at_commit(txn).await;
        Ok(tokens)
    }
}
