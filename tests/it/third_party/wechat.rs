//! WeChat specifics: the mini-program's verified phone number and open
//! data (checked against WeChat's published sample), and unionid joins.

use serde_json::json;

use super::standins::*;
use super::{bind_token, login_code, platforms, tpl, verify_login};
use crate::common::*;

#[tokio::test]
async fn mini_program_signs_in_by_wechat_verified_phone_without_sms() {
    let app = app_with_platforms(&[]).await;
    let code = |n: u32| format!("{WX_SMALL_ID}:solo-frank#{n}");

    // Unknown number: registered and bound, no SMS sent.
    let body = tpl(
        &app,
        json!({"platform": "WX_SMALL", "code": code(1), "phoneCode": "phone-13800138031"}),
    )
    .await;
    let first = &body["data"]["thirdPartyLogin"];
    assert_eq!(first["created"], true, "{body}");
    assert_eq!(first["user"]["mobile"], "13800138031");
    assert_eq!(platforms(&first["user"]), ["WX_SMALL"]);
    assert!(
        app.outbox_entries().iter().all(|e| e.channel != "sms"),
        "no SMS was needed"
    );

    // Bound now: the code alone signs in.
    let body = tpl(&app, json!({"platform": "WX_SMALL", "code": code(2)})).await;
    assert_eq!(
        body["data"]["thirdPartyLogin"]["user"]["id"], first["user"]["id"],
        "{body}"
    );

    // A known number: that account is signed in and gets the binding.
    let sms = login_code(&app, "13800138032").await;
    let body = verify_login(
        &app,
        json!({"mobile": "13800138032", "code": sms, "purpose": "LOGIN", "register": true}),
    )
    .await;
    let grace = body["data"]["verifySms"]["user"]["id"].clone();
    let input =
        json!({"platform": "WX_SMALL", "code": format!("{WX_SMALL_ID}:solo-grace"), "phoneCode": "phone-13800138032"});
    let body = tpl(&app, input).await;
    assert_eq!(body["data"]["thirdPartyLogin"]["user"]["id"], grace, "{body}");
    assert_eq!(body["data"]["thirdPartyLogin"]["created"], false);

    // A phone number issued to another mini-program is refused.
    let input = json!({"platform": "WX_SMALL", "code": format!("{WX_SMALL_ID}:solo-hal"), "phoneCode": "phone-foreign-13800138033"});
    let body = tpl(&app, input).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "phoneCode");
}

#[tokio::test]
async fn unionid_joins_the_wechat_apps_of_one_person() {
    let app = app_with_platforms(&[]).await;
    // Ivy signs in through the WeChat app first and binds her phone.
    let ticket = bind_token(&tpl(&app, json!({"platform": "WX_APP", "code": format!("{WX_APP_ID}:ivy")})).await);
    let code = login_code(&app, "13800138041").await;
    let body = verify_login(
        &app,
        json!({"mobile": "13800138041", "code": code, "purpose": "LOGIN", "bindToken": ticket}),
    )
    .await;
    let ivy = body["data"]["verifySms"]["user"]["id"].clone();
    assert!(ivy.is_string(), "{body}");

    // Same person in the official account and the mini-program: same user, no new bind step.
    let body = tpl(
        &app,
        json!({"platform": "WX_PUBLIC", "code": format!("{WX_PUBLIC_ID}:ivy")}),
    )
    .await;
    assert_eq!(body["data"]["thirdPartyLogin"]["user"]["id"], ivy, "{body}");
    let body = tpl(
        &app,
        json!({"platform": "WX_SMALL", "code": format!("{WX_SMALL_ID}:ivy")}),
    )
    .await;
    let joined = &body["data"]["thirdPartyLogin"];
    assert_eq!(joined["user"]["id"], ivy, "{body}");
    assert_eq!(platforms(&joined["user"]), ["WX_APP", "WX_PUBLIC", "WX_SMALL"]);

    // Another person's official account is not joined.
    let body = tpl(
        &app,
        json!({"platform": "WX_PUBLIC", "code": format!("{WX_PUBLIC_ID}:jack")}),
    )
    .await;
    bind_token(&body);
}

#[tokio::test]
async fn decrypts_wechats_sample_vector_and_joins_by_its_unionid() {
    let app = app_with_platforms(&[]).await;
    // "band" is the person of WeChat's sample: bound through the app with the sample's unionid.
    let ticket = bind_token(&tpl(&app, json!({"platform": "WX_APP", "code": format!("{WX_APP_ID}:band")})).await);
    let code = login_code(&app, "13800138051").await;
    let body = verify_login(
        &app,
        json!({"mobile": "13800138051", "code": code, "purpose": "LOGIN", "bindToken": ticket}),
    )
    .await;
    let band = body["data"]["verifySms"]["user"]["id"].clone();
    assert!(band.is_string(), "{body}");

    // Wrong iv: the sample does not decrypt, nothing is bound.
    let input = json!({"platform": "WX_SMALL", "code": format!("{WX_SMALL_ID}:sample#1"),
                       "encryptedData": SAMPLE_ENCRYPTED_DATA, "iv": "AAAAAAAAAAAAAAAAAAAAAA=="});
    let body = tpl(&app, input).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "encryptedData");

    // jscode2session gives no unionid for the sample user; the decrypted
    // sample (watermark = our mini-program) does, and it joins band.
    let input = json!({"platform": "WX_SMALL", "code": format!("{WX_SMALL_ID}:sample#2"),
                       "encryptedData": SAMPLE_ENCRYPTED_DATA, "iv": SAMPLE_IV});
    let body = tpl(&app, input).await;
    let joined = &body["data"]["thirdPartyLogin"];
    assert_eq!(joined["user"]["id"], band, "{body}");
    assert_eq!(platforms(&joined["user"]), ["WX_APP", "WX_SMALL"]);

    // The library function itself against the published vector.
    let value = zhanghao::platforms::decrypt_mini_program_data(
        SAMPLE_SESSION_KEY,
        SAMPLE_ENCRYPTED_DATA,
        SAMPLE_IV,
        WX_SMALL_ID,
    )
    .unwrap();
    assert_eq!(
        (value["openId"].as_str(), value["unionId"].as_str()),
        (Some(SAMPLE_OPENID), Some(SAMPLE_UNIONID))
    );
    assert_eq!(value["nickName"], "Band");
    let other =
        zhanghao::platforms::decrypt_mini_program_data(SAMPLE_SESSION_KEY, SAMPLE_ENCRYPTED_DATA, SAMPLE_IV, "wx0000");
    assert!(other.is_err(), "watermark of another app is refused");
}

#[tokio::test]
async fn a_claimed_binding_learns_its_unionid_only_once_proven() {
    let app = app_with_platforms(&[]).await;
    // Bound on the client's word: neither the claimed unionid nor the claim joins anything.
    let code = login_code(&app, "13800138061").await;
    let input = json!({"mobile": "13800138061", "code": code, "platform": "WX_APP",
                       "openid": openid_of(WX_APP_ID, "kim"), "unionid": unionid_of("kim")});
    let (_, body) = app.gql(super::BIND, json!({ "input": input })).await;
    let kim = body["data"]["bindThirdParty"]["user"]["id"].clone();
    assert!(kim.is_string(), "{body}");
    let body = tpl(
        &app,
        json!({"platform": "WX_PUBLIC", "code": format!("{WX_PUBLIC_ID}:kim#1")}),
    )
    .await;
    bind_token(&body);
    // A verified app sign-in asks for the phone once; with it, the binding is proven…
    let ticket = bind_token(&tpl(&app, json!({"platform": "WX_APP", "code": format!("{WX_APP_ID}:kim")})).await);
    app.clock.advance(61);
    let code = login_code(&app, "13800138061").await;
    let body = verify_login(
        &app,
        json!({"mobile": "13800138061", "code": code, "purpose": "LOGIN", "bindToken": ticket}),
    )
    .await;
    assert_eq!(body["data"]["verifySms"]["user"]["id"], kim, "{body}");
    // …and carries WeChat's unionid, so the official account joins the same user.
    let body = tpl(
        &app,
        json!({"platform": "WX_PUBLIC", "code": format!("{WX_PUBLIC_ID}:kim#2")}),
    )
    .await;
    assert_eq!(body["data"]["thirdPartyLogin"]["user"]["id"], kim, "{body}");
}
