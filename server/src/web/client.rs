//! Who the client is: its address and whether it reached us over HTTPS. `Forwarded`,
//! `X-Forwarded-For` and `X-Forwarded-Proto` are believed only when the connection comes from a
//! proxy listed in `EINBLICK_TRUSTED_PROXIES`; from anyone else they are the client's own words
//! and would let it pick the address it is throttled by.

use std::net::IpAddr;

use actix_web::http::header::HeaderMap;

use app::backend::Caller;

use crate::config::{CookieSecurity, IpRange, Settings};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientInfo {
    /// The client's address: the peer, or the nearest untrusted hop a trusted proxy names.
    pub address: Option<IpAddr>,
    /// Whether the client's own connection used TLS.
    pub https: bool,
}

impl ClientInfo {
    pub fn of(caller: &Caller, settings: &Settings) -> Self {
        Self::resolve(
            &caller.headers,
            caller.peer_addr.map(|a| a.ip()),
            caller.tls,
            &settings.trusted_proxies,
        )
    }

    pub fn resolve(
        headers: &HeaderMap,
        peer: Option<IpAddr>,
        tls: bool,
        trusted: &[IpRange],
    ) -> Self {
        let is_trusted = |ip: &IpAddr| trusted.iter().any(|range| range.contains(ip));
        let Some(peer) = peer.filter(is_trusted) else {
            return Self {
                address: peer,
                https: tls,
            };
        };
        // Each proxy appends the address it received from, so the list is read from the right:
        // the first hop that is not one of our proxies is the client.
        let hops = forwarded_for(headers);
        let address = hops
            .iter()
            .rev()
            .find(|hop| !is_trusted(hop))
            .or(hops.first())
            .copied()
            .unwrap_or(peer);
        let https = forwarded_proto(headers)
            .map(|proto| proto.eq_ignore_ascii_case("https"))
            .unwrap_or(tls);
        Self {
            address: Some(address),
            https,
        }
    }
}

/// Whether cookies set for this caller get the `Secure` attribute.
pub fn wants_secure_cookie(caller: &Caller, settings: &Settings) -> bool {
    match settings.cookie_security {
        CookieSecurity::Always => true,
        CookieSecurity::Never => false,
        CookieSecurity::Auto => ClientInfo::of(caller, settings).https,
    }
}

/// The hops named by `Forwarded: for=` (RFC 7239), else by `X-Forwarded-For`, left to right.
fn forwarded_for(headers: &HeaderMap) -> Vec<IpAddr> {
    let from_forwarded: Vec<IpAddr> = header_values(headers, "forwarded")
        .flat_map(|value| value.split(',').map(str::to_owned).collect::<Vec<_>>())
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (key, value) = pair.trim().split_once('=')?;
                key.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| parse_node(value))?
            })
        })
        .collect();
    if !from_forwarded.is_empty() {
        return from_forwarded;
    }
    header_values(headers, "x-forwarded-for")
        .flat_map(|value| value.split(',').map(str::to_owned).collect::<Vec<_>>())
        .filter_map(|hop| parse_node(&hop))
        .collect()
}

/// The scheme the nearest proxy saw: the last `proto=` of `Forwarded`, else `X-Forwarded-Proto`.
fn forwarded_proto(headers: &HeaderMap) -> Option<String> {
    let from_forwarded = header_values(headers, "forwarded")
        .flat_map(|value| {
            value
                .split([',', ';'])
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case("proto")
                .then(|| value.trim().trim_matches('"').to_owned())
        })
        .last();
    from_forwarded.or_else(|| {
        header_values(headers, "x-forwarded-proto")
            .last()
            .and_then(|value| value.rsplit(',').next().map(|v| v.trim().to_owned()))
    })
}

fn header_values<'a>(headers: &'a HeaderMap, name: &str) -> impl Iterator<Item = String> + 'a {
    headers
        .get_all(name)
        .filter_map(|value| value.to_str().ok())
        .map(str::to_owned)
        .collect::<Vec<_>>()
        .into_iter()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let node = raw.trim().trim_matches('"');
    if let Ok(ip) = node.parse() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    node.rsplit_once(':')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn ip(raw: &str) -> IpAddr {
        raw.parse().unwrap()
    }

    #[test]
    fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
        let spoofed = headers(&[
            ("x-forwarded-for", "198.51.100.7"),
            ("x-forwarded-proto", "https"),
        ]);
        let client = ClientInfo::resolve(&spoofed, Some(ip("203.0.113.9")), false, &[]);
        assert_eq!(client.address, Some(ip("203.0.113.9")));
        assert!(!client.https);
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_its_scheme() {
        let trusted = [IpRange::parse("10.0.0.0/8").unwrap()];
        let sent = headers(&[
            // The client put a fake first hop in; our two proxies appended the real ones.
            ("x-forwarded-for", "1.2.3.4, 198.51.100.7, 10.0.0.3"),
            ("x-forwarded-proto", "https"),
        ]);
        let client = ClientInfo::resolve(&sent, Some(ip("10.0.0.2")), false, &trusted);
        assert_eq!(client.address, Some(ip("198.51.100.7")));
        assert!(client.https);
    }

    #[test]
    fn the_standard_forwarded_header_is_read_first() {
        let trusted = [IpRange::parse("127.0.0.1").unwrap()];
        let sent = headers(&[
            ("forwarded", "for=\"[2001:db8::5]:4711\";proto=https"),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        let client = ClientInfo::resolve(&sent, Some(ip("127.0.0.1")), false, &trusted);
        assert_eq!(client.address, Some(ip("2001:db8::5")));
        assert!(client.https);
    }
}
