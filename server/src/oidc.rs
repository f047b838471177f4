//! OpenID Connect relying party: the authorization code flow with PKCE, shared by staff single
//! sign-on and customer sign-in through the retailer's identity provider. Discovery, the token
//! request and the ID token's checks (signature against the provider's keys, issuer, audience,
//! expiry within the allowed clock skew, nonce) are the `openidconnect` crate's; what a sign-in
//! is waiting for (state, nonce, PKCE verifier) lives in the database, so any server behind the
//! load balancer can finish it, once.
//!
//! Everything here blocks on the network: call it on the blocking pool.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthenticationFlow, CoreClaimName, CoreClaimType, CoreClient,
    CoreClientAuthMethod, CoreGrantType, CoreIdToken, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm,
    CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, ProviderMetadata,
    RedirectUrl, Scope, SignatureVerificationError, TokenResponse,
};
use serde::{Deserialize, Serialize};

use crate::config::OidcSettings;

/// Discovered metadata is used this long before the provider is asked again (its keys rotate).
const METADATA_LIFETIME: Duration = Duration::from_secs(3600);

/// The one piece of discovery metadata beyond the core: where the provider ends its session.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct LogoutMetadata {
    #[serde(default)]
    end_session_endpoint: Option<String>,
}

impl AdditionalProviderMetadata for LogoutMetadata {}

type Metadata = ProviderMetadata<
    LogoutMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// The client as discovery makes it: the authorization endpoint is known, the token endpoint
/// and the user-info endpoint may be.
type Client = openidconnect::Client<
    openidconnect::EmptyAdditionalClaims,
    CoreAuthDisplay,
    openidconnect::core::CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    openidconnect::core::CoreAuthPrompt,
    openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    openidconnect::core::CoreTokenResponse,
    openidconnect::core::CoreTokenIntrospectionResponse,
    openidconnect::core::CoreRevocableToken,
    openidconnect::core::CoreRevocationErrorResponse,
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// Why a sign-in through the provider did not happen. `Display` is for the log; people get
/// [`OidcError::for_people`].
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the identity provider cannot be reached or described itself wrongly: {0}")]
    Unavailable(String),
    #[error("the identity provider refused to hand out tokens: {0}")]
    TokenRequest(String),
    #[error("the identity provider's answer holds no ID token")]
    NoIdToken,
    #[error("the ID token does not check out: {0}")]
    InvalidIdToken(String),
}

impl OidcError {
    /// A sentence a person can act on, without the provider's internals.
    pub fn for_people(&self, lang: app::i18n::Lang) -> &'static str {
        let de = lang == app::i18n::Lang::De;
        match self {
            Self::Unavailable(_) => {
                if de {
                    "Der Anmeldedienst ist gerade nicht erreichbar. Bitte versuchen Sie es in ein paar Minuten erneut."
                } else {
                    "The sign-in service cannot be reached right now. Please try again in a few minutes."
                }
            }
            Self::TokenRequest(_) | Self::NoIdToken => {
                if de {
                    "Der Anmeldedienst hat die Anmeldung nicht bestätigt. Bitte melden Sie sich erneut an."
                } else {
                    "The sign-in service did not confirm the sign-in. Please sign in again."
                }
            }
            Self::InvalidIdToken(_) => {
                if de {
                    "Die Bestätigung des Anmeldedienstes ließ sich nicht prüfen (Signatur, Empfänger oder Gültigkeit stimmen nicht). Es wurde niemand angemeldet; der Vorfall ist protokolliert."
                } else {
                    "The sign-in service's confirmation did not check out (its signature, audience or validity is wrong). Nobody was signed in; this is logged."
                }
            }
        }
    }
}

/// A sign-in begun: where to send the browser, and what the callback must match.
pub struct Begun {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// A sign-in the provider confirmed, with its ID token checked. (Its `Debug` leaves the token
/// out: it is a credential.)
#[derive(Clone)]
pub struct Verified {
    pub issuer: String,
    pub subject: String,
    /// Every claim of the ID token, for the caller to read the ones it needs.
    pub claims: serde_json::Map<String, serde_json::Value>,
    /// The raw ID token, kept for the provider's logout (`id_token_hint`).
    pub id_token: String,
}

impl std::fmt::Debug for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verified")
            .field("issuer", &self.issuer)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl Verified {
    pub fn text(&self, claim: &str) -> Option<String> {
        self.claims
            .get(claim)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .filter(|v| !v.trim().is_empty())
    }

    /// A claim holding a list of strings (or one string).
    pub fn list(&self, claim: &str) -> Vec<String> {
        match self.claims.get(claim) {
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
            Some(serde_json::Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        }
    }
}

/// One identity provider. Cheap to clone; the discovered metadata is shared.
#[derive(Clone)]
pub struct OidcProvider {
    settings: OidcSettings,
    metadata: Arc<Mutex<Option<(Instant, Metadata)>>>,
}

impl OidcProvider {
    pub fn new(settings: OidcSettings) -> Self {
        Self {
            settings,
            metadata: Arc::default(),
        }
    }

    pub fn name(&self) -> &str {
        &self.settings.provider_name
    }

    fn agent() -> ureq::Agent {
        // The provider's endpoints answer directly; a redirect there is not followed (a token
        // request must not be replayed elsewhere).
        ureq::AgentBuilder::new()
            .redirects(0)
            .timeout(Duration::from_secs(10))
            .build()
    }

    fn metadata(&self, fresh: bool) -> Result<Metadata, OidcError> {
        {
            let cached = self
                .metadata
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some((at, metadata)) = cached.as_ref() {
                if !fresh && at.elapsed() < METADATA_LIFETIME {
                    return Ok(metadata.clone());
                }
            }
        }
        // Asked without the lock held: a provider that does not answer must not make every other
        // sign-in wait behind this one.
        let issuer = IssuerUrl::new(self.settings.issuer.clone())
            .map_err(|e| OidcError::Unavailable(e.to_string()))?;
        let metadata = Metadata::discover(&issuer, &Self::agent())
            .map_err(|e| OidcError::Unavailable(error_chain(&e)))?;
        *self
            .metadata
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) =
            Some((Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    /// The origin of the provider's logout endpoint, when discovery has found one already (never
    /// asks the provider).
    pub fn logout_origin(&self) -> Option<String> {
        let cached = self
            .metadata
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let endpoint = cached
            .as_ref()?
            .1
            .additional_metadata()
            .end_session_endpoint
            .clone()?;
        url::Url::parse(&endpoint)
            .ok()
            .map(|url| url.origin().ascii_serialization())
    }

    fn client(&self, metadata: Metadata, redirect_url: &str) -> Result<Client, OidcError> {
        let redirect = RedirectUrl::new(redirect_url.to_owned())
            .map_err(|e| OidcError::Unavailable(format!("redirect URL: {e}")))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(
                self.settings.client_secret.expose().to_owned(),
            )),
        )
        .set_redirect_uri(redirect))
    }

    /// Where to send the browser to sign in, asking for `scopes` beyond `openid`.
    pub fn begin(&self, redirect_url: &str, scopes: &[&str]) -> Result<Begun, OidcError> {
        let client = self.client(self.metadata(false)?, redirect_url)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in scopes {
            request = request.add_scope(Scope::new((*scope).to_owned()));
        }
        let (url, state, nonce) = request.url();
        Ok(Begun {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the callback's `code` (with the PKCE verifier the sign-in began with) and checks
    /// the ID token against `nonce`.
    pub fn finish(
        &self,
        redirect_url: &str,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<Verified, OidcError> {
        let metadata = self.metadata(false)?;
        let client = self.client(metadata.clone(), redirect_url)?;
        let mut request = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::Unavailable(e.to_string()))?;
        // A missing verifier is sent as missing: the provider then refuses the code.
        if !pkce_verifier.is_empty() {
            request = request.set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()));
        }
        let response = request
            .request(&Self::agent())
            .map_err(|e| OidcError::TokenRequest(error_chain(&e)))?;
        let id_token = response.id_token().ok_or(OidcError::NoIdToken)?.clone();
        match self.verify(&client, &metadata, &id_token, nonce) {
            // The provider may have rotated its keys since discovery: fetch them once more and
            // check the same token again (a code is exchanged once only).
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                let fresh = self.metadata(true)?;
                let client = self.client(fresh.clone(), redirect_url)?;
                self.verify(&client, &fresh, &id_token, nonce)
            }
            other => other,
        }
        .map_err(|e| OidcError::InvalidIdToken(error_chain(&e)))
        .and_then(|verified| verified)
    }

    /// Checks the ID token's signature (with an algorithm the provider announces, never a
    /// shared-secret one), issuer, audience, expiry within the clock skew, and nonce.
    fn verify(
        &self,
        client: &Client,
        metadata: &Metadata,
        id_token: &CoreIdToken,
        nonce: &str,
    ) -> Result<Result<Verified, OidcError>, ClaimsVerificationError> {
        let skew = chrono::Duration::seconds(i64::from(self.settings.clock_skew_seconds));
        let asymmetric: Vec<CoreJwsSigningAlgorithm> = metadata
            .id_token_signing_alg_values_supported()
            .iter()
            .filter(|alg| {
                !matches!(
                    alg,
                    CoreJwsSigningAlgorithm::HmacSha256
                        | CoreJwsSigningAlgorithm::HmacSha384
                        | CoreJwsSigningAlgorithm::HmacSha512
                        | CoreJwsSigningAlgorithm::None
                )
            })
            .cloned()
            .collect();
        let verifier = client
            .id_token_verifier()
            .set_allowed_algs(asymmetric)
            .set_time_fn(move || Utc::now() - skew)
            .set_issue_time_verifier_fn(move |issued| {
                if issued > Utc::now() + skew {
                    Err(format!("issued in the future ({issued})"))
                } else {
                    Ok(())
                }
            });
        let checked = id_token.claims(&verifier, &Nonce::new(nonce.to_owned()))?;
        let raw = id_token.to_string();
        Ok(payload_of(&raw).map(|claims| Verified {
            issuer: checked.issuer().to_string(),
            subject: checked.subject().to_string(),
            claims,
            id_token: raw,
        }))
    }

    /// The provider's logout URL for a session begun with `id_token`, when it offers one.
    pub fn end_session_url(&self, id_token: &str, post_logout_redirect: &str) -> Option<String> {
        let metadata = self.metadata(false).ok()?;
        let endpoint = metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()?;
        let mut url = url::Url::parse(&endpoint).ok()?;
        url.query_pairs_mut()
            .append_pair("id_token_hint", id_token)
            .append_pair("client_id", &self.settings.client_id)
            .append_pair("post_logout_redirect_uri", post_logout_redirect);
        Some(url.to_string())
    }
}

/// The claims of an ID token whose signature has been checked already.
fn payload_of(id_token: &str) -> Result<serde_json::Map<String, serde_json::Value>, OidcError> {
    use base64::Engine;
    let payload = id_token
        .split('.')
        .nth(1)
        .ok_or_else(|| OidcError::InvalidIdToken("not a JWT".into()))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|e| OidcError::InvalidIdToken(e.to_string()))?;
    serde_json::from_slice(&bytes).map_err(|e| OidcError::InvalidIdToken(e.to_string()))
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}
