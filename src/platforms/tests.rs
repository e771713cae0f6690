//! Unit tests of the platform entry point.

use super::*;

#[test]
fn platform_wire_strings_round_trip() {
    for platform in Platform::all() {
        assert_eq!(platform.as_str().parse::<Platform>(), Ok(platform));
        let json = serde_json::to_string(&platform).unwrap();
        assert_eq!(json, format!("\"{}\"", platform.as_str()));
    }
    assert_eq!("wx_app".parse::<Platform>(), Ok(Platform::WxApp));
    assert_eq!("wb".parse::<Platform>(), Ok(Platform::Wb));
    assert!("weixin".parse::<Platform>().is_err());
    assert!("WX_APP".parse::<Platform>().is_err());
}

#[test]
fn clients_can_be_shared_by_axum_handlers() {
    fn assert_send_sync<T: Send + Sync>(_: &T) {}
    fn assert_send<T: Send>(_: &T) {}
    let clients = PlatformClients::new(PlatformsConfig::default());
    assert_send_sync(&clients);
    let credential = PlatformCredential::Code("c".into());
    assert_send(&clients.verify(Platform::WxApp, &credential));
    assert_send(&clients.mini_program_phone("c"));
}

#[test]
fn credential_debug_hides_the_secret() {
    let code = PlatformCredential::Code("081abcSECRETcode".into());
    let token = PlatformCredential::AppleIdentityToken {
        token: "eyJhbGciOi.SECRET".into(),
        nonce: None,
    };
    assert!(!format!("{code:?}").contains("SECRET"));
    assert!(!format!("{token:?}").contains("SECRET"));
}

#[tokio::test]
async fn unconfigured_platforms_say_so_without_network() {
    let clients = PlatformClients::new(PlatformsConfig::default());
    for platform in Platform::all() {
        assert!(!clients.is_configured(platform));
        let credential = if platform == Platform::Apple {
            PlatformCredential::AppleIdentityToken {
                token: "x.y.z".into(),
                nonce: None,
            }
        } else {
            PlatformCredential::Code("code".into())
        };
        let err = clients.verify(platform, &credential).await.unwrap_err();
        assert!(matches!(err, PlatformError::NotConfigured(p) if p == platform));
    }
    let err = clients.mini_program_phone("code").await.unwrap_err();
    assert!(matches!(err, PlatformError::NotConfigured(Platform::WxSmall)));
}

#[tokio::test]
async fn wrong_credential_kind_is_rejected() {
    let cfg = PlatformsConfig {
        apple: Some(AppleConfig {
            client_ids: vec!["com.example.app".into()],
        }),
        qq: Some(OAuthWebAppConfig {
            app_id: "101".into(),
            secret: SecretString::from("k"),
            redirect_uri: "https://example.com/cb".into(),
        }),
        // Unroutable on purpose: nothing may be sent in this test.
        apple_keys_url: "http://127.0.0.1:9/keys".into(),
        qq_base_url: "http://127.0.0.1:9".into(),
        ..PlatformsConfig::default()
    };
    let clients = PlatformClients::new(cfg);
    let err = clients
        .verify(Platform::Apple, &PlatformCredential::Code("c".into()))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        PlatformError::Rejected {
            platform: Platform::Apple,
            ..
        }
    ));
    let err = clients
        .verify(
            Platform::Qq,
            &PlatformCredential::AppleIdentityToken {
                token: "t".into(),
                nonce: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        PlatformError::Rejected {
            platform: Platform::Qq,
            ..
        }
    ));
    let err = clients
        .verify(Platform::Qq, &PlatformCredential::Code("  ".into()))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        PlatformError::Rejected {
            platform: Platform::Qq,
            ..
        }
    ));
}
