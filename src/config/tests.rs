//! Settings parsing: defaults by environment and refusals.

use clap::Parser;

use super::*;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
}

fn config(args: &[&str]) -> Result<Config, ConfigError> {
    let mut argv = vec!["zhanghao"];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv).map_err(|e| ConfigError(e.to_string()))?;
    Config::from_settings(cli.settings)
}

#[test]
fn production_needs_a_jwt_secret_and_a_real_provider() {
    let err = config(&["--env", "production"]).err().map(|e| e.0).unwrap_or_default();
    assert!(err.contains("ZHANGHAO_JWT_SECRET"), "{err}");
    let secret = "0123456789abcdef0123456789abcdef";
    let err = config(&["--env", "production", "--jwt-secret", secret])
        .err()
        .map(|e| e.0)
        .unwrap_or_default();
    assert!(err.contains("ZHANGHAO_ALLOW_OUTBOX"), "{err}");
    assert!(config(&["--env", "production", "--jwt-secret", secret, "--allow-outbox", "1"]).is_ok());
    let err = config(&["--jwt-secret", "too-short"])
        .err()
        .map(|e| e.0)
        .unwrap_or_default();
    assert!(err.contains("32 bytes"), "{err}");
}

#[test]
fn lists_are_parsed_and_checked() {
    let ok = config(&[
        "--test-numbers",
        "+8613800000000=246810, 13900000000=135790",
        "--trusted-proxies",
        "10.0.0.0/8,127.0.0.1",
    ]);
    let ok = ok.map_err(|e| e.0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ok.test_numbers.len(), 2);
    assert_eq!(ok.trusted_proxies.len(), 2);
    assert!(config(&["--test-numbers", "+8613800000000=12"]).is_err());
    assert!(config(&["--trusted-proxies", "not-an-ip"]).is_err());
    assert!(config(&["--default-region", "XX"]).is_err());
}

#[test]
fn cors_origins_default_by_environment_and_are_checked() {
    let secret = "0123456789abcdef0123456789abcdef";
    let prod = ["--env", "production", "--jwt-secret", secret, "--allow-outbox", "1"];
    let dev = config(&[]).map_err(|e| e.0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(dev.cors_origins, CorsOrigins::Any);
    assert!(dev.graphiql);
    let production = config(&prod).map_err(|e| e.0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(production.cors_origins, CorsOrigins::List(Vec::new()));
    assert!(!production.graphiql);
    let listed = config(&["--cors-origins", "https://App.example.com/, http://localhost:3000"])
        .map_err(|e| e.0)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        listed.cors_origins,
        CorsOrigins::List(vec!["https://app.example.com".into(), "http://localhost:3000".into()])
    );
    for bad in [
        "app.example.com",
        "https://a.example.com/path",
        "https://*.example.com",
        "ftp://x",
    ] {
        let err = config(&["--cors-origins", bad]).err().map(|e| e.0).unwrap_or_default();
        assert!(err.contains("ZHANGHAO_CORS_ORIGINS"), "{bad}: {err}");
    }
}

#[test]
fn the_jwt_algorithm_is_named_as_jose_does_and_a_key_file_needs_a_key_pair_algorithm() {
    use crate::crypto::JwtAlgorithm;
    let alg = |args: &[&str]| config(args).map(|c| c.jwt_alg).map_err(|e| e.0);
    assert_eq!(alg(&[]), Ok(JwtAlgorithm::Hs256), "HS256 stays the default");
    assert_eq!(alg(&["--jwt-alg", "ES256"]), Ok(JwtAlgorithm::Es256));
    assert_eq!(alg(&["--jwt-alg", "eddsa"]), Ok(JwtAlgorithm::EdDsa));
    assert!(alg(&["--jwt-alg", "none"]).is_err());
    assert!(alg(&["--jwt-alg", "RS256"]).is_err());
    let err = alg(&["--jwt-private-key-file", "/keys/jwt.pem"])
        .err()
        .unwrap_or_default();
    assert!(err.contains("ZHANGHAO_JWT_ALG=ES256 or EdDSA"), "{err}");
    assert!(alg(&["--jwt-alg", "ES256", "--jwt-private-key-file", "/keys/jwt.pem"]).is_ok());
}
