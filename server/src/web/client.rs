//! Who the client is: its address and whether it reached us over HTTPS. `Forwarded`,
//! `X-Forwarded-For` and `X-Forwarded-Proto` are believed only when the connection comes from a
//! proxy listed in `EINBLICK_TRUSTED_PROXIES`; from anyone else they are the client's own words
//! and would let it pick the address it is throttled by.

use std::net::IpAddr;

use actix_web::http::header::HeaderMap;

use app::backend::Caller;

use crate::config::{CookieSecurity, IpRange, Settings};
use crate::error::{AppError, ErrorKind};

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

/// Whether this request is a person deliberately opening a page of this site: a top-level
/// navigation from this site (or typed, or bookmarked), or the hydrated app asking for the page's
/// data. Never a prefetch or prerender, and never a request another site made (an embedded
/// image or frame, a link followed from elsewhere). Pages that log a look at a customer's data
/// show it only to such a request. Clients that send no fetch metadata at all are taken at
/// their word: showing data without logging the look is never an option.
pub fn is_deliberate_look(caller: &Caller) -> bool {
    let header = |name: &str| caller.headers.get(name).and_then(|v| v.to_str().ok());
    let prefetch = ["sec-purpose", "purpose", "x-purpose", "x-moz"]
        .into_iter()
        .filter_map(header)
        .any(|value| value.contains("prefetch") || value.contains("prerender"));
    if prefetch {
        return false;
    }
    if header("sec-fetch-site").is_some_and(|site| !matches!(site, "same-origin" | "none")) {
        return false;
    }
    // The app's own server functions are fetched, not navigated to.
    if caller.path.starts_with("/rpc/") {
        return true;
    }
    header("sec-fetch-mode").is_none_or(|mode| mode == "navigate")
        && header("sec-fetch-dest").is_none_or(|dest| dest == "document")
}

/// Proof, for a function that logs a look at a customer's data, that the request was a
/// deliberate look; made only by [`deliberate_look`].
#[derive(Debug)]
pub struct DeliberateLook(());

/// [`is_deliberate_look`] as the proof, or `LookNotConfirmed` (the page then asks for a click).
pub fn deliberate_look(caller: &Caller) -> Result<DeliberateLook, AppError> {
    if is_deliberate_look(caller) {
        Ok(DeliberateLook(()))
    } else {
        Err(AppError::new(ErrorKind::LookNotConfirmed))
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

    fn caller(path: &str, pairs: &[(&str, &str)]) -> Caller {
        Caller {
            headers: headers(pairs),
            peer_addr: None,
            tls: false,
            method: actix_web::http::Method::GET,
            path: path.to_owned(),
        }
    }

    #[test]
    fn only_a_navigation_from_this_site_is_a_deliberate_look() {
        let case = "/staff/disputes/EB-7K3M-Q9XD";
        let navigate = [
            ("sec-fetch-mode", "navigate"),
            ("sec-fetch-dest", "document"),
        ];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut all = navigate.to_vec();
            all.extend_from_slice(extra);
            all
        };
        assert!(is_deliberate_look(&caller(
            case,
            &with(&[("sec-fetch-site", "same-origin")])
        )));
        assert!(is_deliberate_look(&caller(
            case,
            &with(&[("sec-fetch-site", "none")])
        )));
        assert!(is_deliberate_look(&caller(case, &[])));
        assert!(!is_deliberate_look(&caller(
            case,
            &with(&[("sec-fetch-site", "cross-site")])
        )));
        assert!(!is_deliberate_look(&caller(
            case,
            &with(&[("sec-fetch-site", "same-site")])
        )));
        assert!(!is_deliberate_look(&caller(
            case,
            &with(&[
                ("sec-fetch-site", "same-origin"),
                ("sec-purpose", "prefetch")
            ])
        )));
        assert!(!is_deliberate_look(&caller(
            case,
            &[("purpose", "prefetch")]
        )));
        assert!(!is_deliberate_look(&caller(
            case,
            &[
                ("sec-fetch-site", "same-origin"),
                ("sec-fetch-mode", "no-cors"),
                ("sec-fetch-dest", "image")
            ]
        )));
        assert!(is_deliberate_look(&caller(
            "/rpc/staff-case",
            &[
                ("sec-fetch-site", "same-origin"),
                ("sec-fetch-mode", "cors"),
                ("sec-fetch-dest", "empty")
            ]
        )));
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
