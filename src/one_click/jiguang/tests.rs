//! The JVerify answer, the phone's decryption and the key formats.

use std::sync::OnceLock;

use rsa::pkcs1::{EncodeRsaPrivateKey, LineEnding};
use rsa::pkcs8::EncodePrivateKey;
use rsa::rand_core::OsRng;
use rsa::{RsaPrivateKey, RsaPublicKey};

use super::*;

const OK: reqwest::StatusCode = reqwest::StatusCode::OK;

/// One 1024-bit key for the whole file (JiGuang's sample ciphertext is 128 bytes).
fn key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut OsRng, 1024).unwrap())
}

fn seal(key: &RsaPrivateKey, phone: &str) -> String {
    let public = RsaPublicKey::from(key);
    STANDARD.encode(public.encrypt(&mut OsRng, Pkcs1v15Encrypt, phone.as_bytes()).unwrap())
}

fn success(phone: &str) -> String {
    serde_json::json!({"id": 117270465679982592_u64, "code": 8000, "content": "get phone success",
                       "exID": "1234566", "phone": phone})
    .to_string()
}

#[test]
fn a_success_decrypts_the_phone() {
    let text = success(&seal(key(), "13900001234"));
    assert_eq!(judge(OK, &text, key()).unwrap(), "13900001234");
}

#[test]
fn a_phone_sealed_for_another_key_is_no_verdict() {
    let other = RsaPrivateKey::new(&mut OsRng, 1024).unwrap();
    let text = success(&seal(&other, "13900001234"));
    match judge(OK, &text, key()) {
        Err(OneClickError::Unavailable { detail, .. }) => assert!(detail.contains("does not decrypt"), "{detail}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        judge(OK, &success("not base64!"), key()),
        Err(OneClickError::Unavailable { .. })
    ));
    assert!(matches!(
        judge(OK, r#"{"code":8000,"content":"get phone success"}"#, key()),
        Err(OneClickError::Unavailable { .. })
    ));
}

#[test]
fn refusals_of_the_token_and_of_our_call_differ() {
    for text in [
        r#"{"code":8001,"content":"get phone fail"}"#,
        r#"{"code":"9003","content":"token expired or not exist"}"#,
    ] {
        assert!(
            matches!(judge(OK, text, key()), Err(OneClickError::Rejected { .. })),
            "{text}"
        );
    }
    let unauthorized = reqwest::StatusCode::UNAUTHORIZED;
    for text in [
        r#"{"code":9011,"content":"auth failed"}"#,
        r#"{"code":9018,"content":"appKey no money"}"#,
        "{}",
        "<html>",
    ] {
        assert!(
            matches!(judge(unauthorized, text, key()), Err(OneClickError::Unavailable { .. })),
            "{text}"
        );
    }
}

#[test]
fn private_keys_are_read_in_every_usual_form() {
    let key = key();
    let pkcs1 = key.to_pkcs1_pem(LineEnding::LF).unwrap().to_string();
    let pkcs8 = key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
    let escaped = pkcs8.replace('\n', "\\n");
    let bare: String = pkcs8.lines().filter(|l| !l.starts_with("-----")).collect();
    for text in [pkcs1, pkcs8, escaped, bare] {
        assert_eq!(&parse_private_key(&text).unwrap(), key, "{text}");
    }
    assert!(parse_private_key("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----").is_err());
    assert!(parse_private_key("not a key").is_err());
}
