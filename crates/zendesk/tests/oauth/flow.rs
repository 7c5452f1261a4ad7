//! The authorization code flow: PKCE, `state`, the loopback listener, the code exchange.

use std::time::Duration;

use secrecy::ExposeSecret;
use zendesk::oauth::{LoopbackListener, s256_challenge};

use crate::fake::{self, CLIENT_SECRET};
use crate::{api_client, assert_hidden, body_text, oauth_client};

/// What a browser does: follow the authorization page's redirect to the listener.
async fn browse(url: &str) -> reqwest::Response {
    // reqwest is built without a TLS provider; these are plain-HTTP loopback URLs anyway.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new().get(url).send().await.unwrap()
}

#[test]
fn pkce_challenge_is_rfc_7636_s256() {
    // RFC 7636, Appendix B.
    assert_eq!(
        s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}

#[tokio::test]
async fn sign_in_with_pkce_and_state_then_call_the_api() {
    let fake = fake::start().await;
    *fake.state.secret.lock().unwrap() = Some(CLIENT_SECRET.into());
    let oauth = oauth_client(&fake, Some(CLIENT_SECRET));
    let listener = LoopbackListener::bind(0).await.unwrap();
    let redirect_uri = listener.redirect_uri();
    assert!(redirect_uri.starts_with("http://127.0.0.1:"));
    let request = oauth.authorization_request(&redirect_uri, "read write");

    let waiting = tokio::spawn({
        let request = request.clone();
        async move { listener.wait(&request, Duration::from_secs(10)).await }
    });
    let page = browse(request.url().as_str()).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Signed in"), "{html}");
    let redirect = waiting.await.unwrap().unwrap();
    assert_hidden(&format!("{redirect:?}"), &[redirect.code.expose_secret()]);

    let tokens = oauth
        .exchange_code(&request, redirect.code.expose_secret())
        .await
        .unwrap();
    assert_eq!(tokens.scope.as_deref(), Some("read write"));
    assert!(tokens.refresh_token.is_some());
    assert!(tokens.expires_at.unwrap() > zendesk::oauth::now_unix() + 7000);

    // What went to the token endpoint: the verifier whose challenge was in the URL, the same
    // redirect URI, the client's secret; the verifier never in the URL.
    let bodies = fake.state.token_bodies.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1);
    let body = &bodies[0];
    assert_eq!(body_text(body, "grant_type"), "authorization_code");
    assert_eq!(body_text(body, "redirect_uri"), redirect_uri);
    assert_eq!(body_text(body, "client_secret"), CLIENT_SECRET);
    let verifier = body_text(body, "code_verifier");
    assert_eq!(verifier.len(), 43);
    assert!(request.url().as_str().contains(&s256_challenge(&verifier)));
    assert!(!request.url().as_str().contains(&verifier));

    // The code is single-use at the fake: a second exchange is refused with Zendesk's words.
    let reused = oauth
        .exchange_code(&request, redirect.code.expose_secret())
        .await
        .unwrap_err();
    assert_eq!(reused.code(), Some("invalid_grant"));
    assert_hidden(
        &format!("{reused} {reused:?}"),
        &[redirect.code.expose_secret(), &verifier, CLIENT_SECRET],
    );

    let source = zendesk::oauth::TokenSource::new(oauth, tokens).unwrap();
    let me = api_client(&fake, &source)
        .get_json("/users/me", zendesk::NO_QUERY)
        .await
        .unwrap();
    assert_eq!(me["user"]["email"], "ada@example.com");
    assert_eq!(source.refresh_count(), 0);
}

#[tokio::test]
async fn a_redirect_with_another_state_is_refused_and_nothing_is_exchanged() {
    let fake = fake::start().await;
    let oauth = oauth_client(&fake, None);
    let listener = LoopbackListener::bind(0).await.unwrap();
    let redirect_uri = listener.redirect_uri();
    let request = oauth.authorization_request(&redirect_uri, "read");
    let waiting = tokio::spawn({
        let request = request.clone();
        async move { listener.wait(&request, Duration::from_secs(10)).await }
    });
    // A favicon request first: answered 404, the wait goes on.
    let favicon = browse(&redirect_uri.replace("/callback", "/favicon.ico")).await;
    assert_eq!(favicon.status(), 404);
    let forged = browse(&format!("{redirect_uri}?code=STOLEN-CODE&state=forged")).await;
    assert_eq!(forged.status(), 400);
    let refused = waiting.await.unwrap().unwrap_err();
    assert_eq!(refused.code(), Some("state_mismatch"));
    assert_hidden(&refused.to_string(), &["STOLEN-CODE"]);
    assert!(fake.state.token_bodies.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_denied_authorization_and_a_wrong_verifier_are_refused() {
    let fake = fake::start().await;
    *fake.state.deny.lock().unwrap() = true;
    let oauth = oauth_client(&fake, None);
    let listener = LoopbackListener::bind(0).await.unwrap();
    let request = oauth.authorization_request(&listener.redirect_uri(), "read");
    let waiting = tokio::spawn({
        let request = request.clone();
        async move { listener.wait(&request, Duration::from_secs(10)).await }
    });
    browse(request.url().as_str()).await;
    let denied = waiting.await.unwrap().unwrap_err();
    assert_eq!(denied.code(), Some("access_denied"));
    assert!(
        denied.to_string().contains("did not grant access"),
        "{denied}"
    );

    // A code exchanged with another request's verifier (PKCE mismatch) is refused.
    *fake.state.deny.lock().unwrap() = false;
    let listener = LoopbackListener::bind(0).await.unwrap();
    let request = oauth.authorization_request(&listener.redirect_uri(), "read");
    let waiting = tokio::spawn({
        let request = request.clone();
        async move { listener.wait(&request, Duration::from_secs(10)).await }
    });
    browse(request.url().as_str()).await;
    let redirect = waiting.await.unwrap().unwrap();
    let other = oauth.authorization_request(request.redirect_uri(), "read");
    let refused = oauth
        .exchange_code(&other, redirect.code.expose_secret())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Some("invalid_grant"));
    assert!(refused.to_string().contains("400"), "{refused}");
}

#[tokio::test]
async fn the_listener_gives_up_after_its_timeout() {
    let fake = fake::start().await;
    let oauth = oauth_client(&fake, None);
    let listener = LoopbackListener::bind(0).await.unwrap();
    let request = oauth.authorization_request(&listener.redirect_uri(), "read");
    let error = listener
        .wait(&request, Duration::from_millis(50))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("no redirect"), "{error}");
}
