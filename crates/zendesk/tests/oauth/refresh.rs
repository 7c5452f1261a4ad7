//! The token source: refresh before expiry, once on a 401, single-flight, rotation persisted
//! before the new access token is used, and no secret in `Debug` output or errors.

use std::time::Duration;

use futures_util::TryStreamExt as _;
use secrecy::ExposeSecret;
use zendesk::oauth::TokenSource;

use crate::fake;
use crate::{MemoryStore, api_client, assert_hidden, oauth_client, secret_of, signed_in};

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_before_the_call() {
    let fake = fake::start().await;
    let tokens = signed_in(&fake, 30); // inside the 60 s margin
    let (old_access, old_refresh) = secret_of(&tokens);
    let source = TokenSource::new(oauth_client(&fake, None), tokens).unwrap();
    let client = api_client(&fake, &source);
    let me = client
        .get_json("/users/me", zendesk::NO_QUERY)
        .await
        .unwrap();
    assert_eq!(me["user"]["id"], 7);
    assert_eq!(source.refresh_count(), 1);
    assert_eq!(
        fake.state
            .refreshes
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    let (new_access, new_refresh) = secret_of(&source.tokens());
    assert_ne!(new_access, old_access);
    assert_ne!(new_refresh, old_refresh);
    // The refresh went as Zendesk documents it.
    let bodies = fake.state.token_bodies.lock().unwrap().clone();
    assert_eq!(bodies[0]["grant_type"], "refresh_token");
    assert_eq!(bodies[0]["refresh_token"], old_refresh.as_str());
    assert_eq!(bodies[0]["client_id"], fake::CLIENT_ID);
    assert!(
        bodies[0].get("client_secret").is_none(),
        "a public client sends no secret"
    );
    // Rotation: the old refresh token no longer works at the server.
    assert!(!fake.state.refresh_token_valid(&old_refresh));
    // A fresh token is not refreshed again.
    client
        .get_json("/users/me", zendesk::NO_QUERY)
        .await
        .unwrap();
    assert_eq!(source.refresh_count(), 1);
}

#[tokio::test]
async fn a_401_refreshes_once_and_the_call_is_sent_again() {
    let fake = fake::start().await;
    let tokens = signed_in(&fake, 3600);
    let (old_access, _) = secret_of(&tokens);
    let source = TokenSource::new(oauth_client(&fake, None), tokens).unwrap();
    let client = api_client(&fake, &source);
    // The server dropped the token although the client believes it has an hour left.
    fake.state.invalidate(&old_access);
    // A POST too: a 401 means nothing was done, so it is safe to send again.
    let created = client
        .post_json("/tickets", &serde_json::json!({ "ticket": {} }))
        .await
        .unwrap();
    assert_eq!(created["ticket"]["id"], 99);
    assert_eq!(source.refresh_count(), 1);

    // When even the fresh token is refused, the 401 is returned: one refresh, not a loop.
    *fake.state.reject_all.lock().unwrap() = true;
    let before = fake
        .state
        .refreshes
        .load(std::sync::atomic::Ordering::SeqCst);
    let error = client
        .get_json("/users/me", zendesk::NO_QUERY)
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(401));
    assert_eq!(
        fake.state
            .refreshes
            .load(std::sync::atomic::Ordering::SeqCst),
        before + 1
    );
    assert_eq!(source.refresh_count(), 2);
}

#[tokio::test]
async fn a_refused_refresh_ends_with_a_clear_error_and_no_second_try() {
    let fake = fake::start().await;
    let tokens = signed_in(&fake, 3600);
    let (old_access, old_refresh) = secret_of(&tokens);
    let source = TokenSource::new(oauth_client(&fake, None), tokens).unwrap();
    let client = api_client(&fake, &source);
    // Sign-in revoked at the server: both tokens are dead.
    fake.state.invalidate(&old_access);
    let oauth = oauth_client(&fake, None);
    // Spend the refresh token elsewhere (as a revocation would kill it).
    oauth.refresh(&source.tokens()).await.unwrap();
    let error = client
        .get_json("/users/me", zendesk::NO_QUERY)
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("invalid_grant"));
    let text = error.to_string();
    assert!(text.contains("sign in again"), "{text}");
    assert_hidden(&format!("{text} {error:?}"), &[&old_access, &old_refresh]);
    // One refresh attempt for that call, not a loop.
    let attempts = fake
        .state
        .token_bodies
        .lock()
        .unwrap()
        .iter()
        .filter(|b| b["refresh_token"] == old_refresh.as_str())
        .count();
    assert_eq!(
        attempts, 2,
        "the spending refresh and the client's single try"
    );
}

#[tokio::test]
async fn ten_concurrent_calls_share_one_refresh() {
    let fake = fake::start().await;
    *fake.state.refresh_delay.lock().unwrap() = Duration::from_millis(150);
    let source = TokenSource::new(oauth_client(&fake, None), signed_in(&fake, 10)).unwrap();
    let client = api_client(&fake, &source);
    let calls = (0..10).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.get_json("/users/me", zendesk::NO_QUERY).await })
    });
    for call in futures_util::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
    assert_eq!(
        fake.state
            .refreshes
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    assert_eq!(source.refresh_count(), 1);

    // Same on the 401 path: ten calls meet a token the server dropped; one refresh.
    let (access, _) = secret_of(&source.tokens());
    fake.state.invalidate(&access);
    let calls = (0..10).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.get_json("/users/me", zendesk::NO_QUERY).await })
    });
    for call in futures_util::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
    assert_eq!(
        fake.state
            .refreshes
            .load(std::sync::atomic::Ordering::SeqCst),
        2
    );
}

#[tokio::test]
async fn the_rotated_refresh_token_is_stored_before_the_new_access_token_is_used() {
    let fake = fake::start().await;
    let tokens = signed_in(&fake, 5);
    let store = MemoryStore::new(&tokens, fake.state.events.clone());
    // A slow store (a keyring prompting, a slow disk): the new token must not be used, by
    // this call or any other, before the save has finished.
    *store.save_delay.lock().unwrap() = Duration::from_millis(300);
    let source = TokenSource::new(oauth_client(&fake, None), tokens)
        .unwrap()
        .with_store(store.clone());
    let client = api_client(&fake, &source);
    let first = tokio::spawn({
        let client = client.clone();
        async move { client.get_json("/users/me", zendesk::NO_QUERY).await }
    });
    // A second call starting while the refresh is being saved.
    tokio::time::sleep(Duration::from_millis(100)).await;
    client
        .get_json("/users/me", zendesk::NO_QUERY)
        .await
        .unwrap();
    first.await.unwrap().unwrap();
    assert_eq!(source.refresh_count(), 1);
    let (new_access, new_refresh) = secret_of(&source.tokens());
    let events = fake.state.events.lock().unwrap().clone();
    let saved = events
        .iter()
        .position(|e| *e == format!("saved:{new_access}"));
    let used = events
        .iter()
        .position(|e| *e == format!("used:{new_access}"));
    assert!(saved.is_some() && used.is_some(), "{events:?}");
    assert!(saved < used, "stored before use: {events:?}");
    let stored = store.tokens.lock().unwrap().clone().unwrap();
    assert_eq!(
        stored.refresh_token.as_ref().unwrap().expose_secret(),
        new_refresh
    );
    assert!(fake.state.refresh_token_valid(&new_refresh));
    assert_eq!(*store.saves.lock().unwrap(), 1);
}

#[tokio::test]
async fn tokens_another_process_refreshed_are_adopted_not_refreshed_again() {
    let fake = fake::start().await;
    let tokens = signed_in(&fake, 3600);
    let store = MemoryStore::new(&tokens, fake.state.events.clone());
    // Two sources on one store, as two processes would be.
    let first = TokenSource::new(oauth_client(&fake, None), tokens.clone())
        .unwrap()
        .with_store(store.clone());
    let second = TokenSource::new(oauth_client(&fake, None), tokens)
        .unwrap()
        .with_store(store.clone());
    first.refresh_now().await.unwrap();
    // The second still sends the old access token, which rotation killed: 401, then it finds
    // the first one's tokens in the store and uses them instead of its stale refresh token.
    let me = api_client(&fake, &second)
        .get_json("/users/me", zendesk::NO_QUERY)
        .await
        .unwrap();
    assert_eq!(me["user"]["id"], 7);
    assert_eq!(second.refresh_count(), 0);
    assert_eq!(
        fake.state
            .refreshes
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    assert!(second.tokens().same_access_token(&first.tokens()));
}

#[tokio::test]
async fn a_token_expiring_mid_paging_is_refreshed_and_no_page_is_lost() {
    let fake = fake::start().await;
    *fake.state.expire_after_first_page.lock().unwrap() = true;
    let source = TokenSource::new(oauth_client(&fake, None), signed_in(&fake, 3600)).unwrap();
    let client = api_client(&fake, &source);
    let tickets: Vec<_> = client
        .tickets()
        .list(None)
        .per_page(2)
        .items()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<u64> = tickets.iter().map(|t| t.id.0).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5, 6]);
    assert_eq!(source.refresh_count(), 1);
}

#[tokio::test]
async fn nothing_secret_shows_in_debug_output() {
    let fake = fake::start().await;
    let tokens = signed_in(&fake, 3600);
    let (access, refresh) = secret_of(&tokens);
    let oauth = oauth_client(&fake, Some(fake::CLIENT_SECRET));
    let source = TokenSource::new(oauth.clone(), tokens.clone()).unwrap();
    let auth = zendesk::Auth::oauth_source(source.clone());
    let client = api_client(&fake, &source);
    let builder = zendesk::Client::builder().auth(auth.clone());
    let request = oauth.authorization_request("http://127.0.0.1:1/callback", "read");
    let everything = format!(
        "{tokens:?} {oauth:?} {source:?} {auth:?} {client:?} {builder:?} {:?} {request:?}",
        oauth.app()
    );
    assert_hidden(
        &everything,
        &[
            &access,
            &refresh,
            fake::CLIENT_SECRET,
            request.pkce().verifier().expose_secret(),
        ],
    );
    assert!(everything.contains("[redacted]"));
}
