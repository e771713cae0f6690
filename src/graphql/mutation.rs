//! The root mutation, merged from one object per area: each resolver decodes
//! its input, calls one service function and encodes the result.

mod account;
mod admin;
mod sign_in;
mod third_party;

use async_graphql::{Context, MergedObject, Result};

use crate::service::{RequestMeta, auth::Viewer};
use crate::state::AppState;

/// Writes: captchas and codes, sign-up and sign-in, third-party platforms, the account page, operators.
#[derive(MergedObject, Default)]
pub struct Mutation(
    sign_in::SignInMutation,
    third_party::ThirdPartyMutation,
    account::AccountMutation,
    admin::AdminMutation,
);

fn parts<'a>(ctx: &'a Context<'_>) -> Result<(&'a AppState, &'a Viewer, &'a RequestMeta)> {
    Ok((
        ctx.data::<AppState>()?,
        ctx.data::<Viewer>()?,
        ctx.data::<RequestMeta>()?,
    ))
}
