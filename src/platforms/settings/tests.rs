//! The platform flags and their conversion.

use clap::Parser;

use super::*;

const LISTEN: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8000);

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    settings: PlatformSettings,
}

fn settings(args: &[&str]) -> PlatformSettings {
    let mut argv = vec!["zhanghao"];
    argv.extend_from_slice(args);
    Cli::try_parse_from(argv)
        .map(|cli| cli.settings)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn nothing_configured_by_default() {
    let cfg = settings(&[]).platforms_config(LISTEN).unwrap_or_else(|e| panic!("{e}"));
    assert!(cfg.wx_app.is_none() && cfg.apple.is_none() && cfg.qq.is_none() && cfg.wb.is_none());
    assert_eq!(cfg.wechat_base_url, "https://api.weixin.qq.com");
}

#[test]
fn half_a_pair_is_refused_and_names_the_variable() {
    let err = settings(&["--wx-app-id", "wx1"])
        .platforms_config(LISTEN)
        .err()
        .unwrap_or_default();
    assert!(err.contains("ZHANGHAO_WX_APP_SECRET"), "{err}");
    let err = settings(&["--qq-app-id", "1", "--qq-app-key", "k"])
        .platforms_config(LISTEN)
        .err()
        .unwrap_or_default();
    assert!(err.contains("ZHANGHAO_QQ_REDIRECT_URI"), "{err}");
    let err = settings(&["--wechat-api-base", "api.weixin.qq.com"])
        .platforms_config(LISTEN)
        .err()
        .unwrap_or_default();
    assert!(err.contains("ZHANGHAO_WECHAT_API_BASE"), "{err}");
}

#[test]
fn app_ids_key_the_bindings_and_secrets_stay_out_of_debug() {
    let s = settings(&[
        "--wx-app-id",
        "wx1",
        "--wx-app-secret",
        "s3cr3t",
        "--apple-client-ids",
        " com.a.app , com.a.web",
    ]);
    assert_eq!(s.app_id(Platform::WxApp), "wx1");
    assert_eq!(s.app_id(Platform::Apple), "com.a.app");
    assert_eq!(s.app_id(Platform::Qq), "");
    let cfg = s.platforms_config(LISTEN).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.apple.map(|a| a.client_ids.len()), Some(2));
    assert!(!format!("{s:?}").contains("s3cr3t"));
}
