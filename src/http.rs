//! What both front doors need from an HTTP request: client IP (through
//! trusted proxies only), user agent and bearer token. The language of
//! messages is the front door's business (`Lang::from_accept_language`).

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap, header};
use ipnet::IpNet;

use crate::service::RequestMeta;

/// Builds the request metadata from headers and the socket peer.
pub fn request_meta(headers: &HeaderMap, extensions: &Extensions, trusted: &[IpNet]) -> RequestMeta {
    RequestMeta {
        ip: request_ip(headers, extensions, trusted),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(256).collect()),
        legacy_client: false,
    }
}

/// The client IP of a request: the socket peer through [`client_ip`].
pub fn request_ip(headers: &HeaderMap, extensions: &Extensions, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
    peer.map(|peer| client_ip(peer, headers, trusted))
}

/// The peer, unless the peer is a trusted proxy: then the right-most
/// `X-Forwarded-For` address that is not itself trusted (left-most entries
/// are whatever the client chose to write).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|part| part.trim().parse().ok())
        .collect();
    forwarded.into_iter().rev().find(|ip| !is_trusted(ip)).unwrap_or(peer)
}

/// The token of `Authorization: Bearer …`.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_read_only_behind_a_trusted_proxy() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "1.1.1.1, 2.2.2.2, 10.0.0.2".parse().expect("header"));
        let proxies: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("net")];
        let proxy: IpAddr = "10.0.0.1".parse().expect("ip");
        let stranger: IpAddr = "3.3.3.3".parse().expect("ip");
        assert_eq!(
            client_ip(proxy, &headers, &proxies),
            "2.2.2.2".parse::<IpAddr>().expect("ip")
        );
        assert_eq!(client_ip(stranger, &headers, &proxies), stranger);
        assert_eq!(client_ip(proxy, &headers, &[]), proxy);
    }
}
