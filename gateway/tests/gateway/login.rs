//! The dashboard login over HTTP: the form and its CSRF cookie, open-redirect attempts,
//! identical failures, the session cookie on the API, logout, revocation by password change,
//! idle expiry, `Secure` behind a TLS proxy, and the brute-force ban.

use std::net::IpAddr;

use gsa_gateway::users::{self, Role};
use gsa_gateway::GatewayConfig;
use serde_json::Value;

use crate::harness::{cookie_value, gw_config, set_cookie, Gateway};

const PASSWORD: &str = "correct horse battery";

/// A login form as a browser would hold it after `GET /login`.
pub(crate) struct Form {
    pub(crate) csrf: String,
}

pub(crate) async fn get_form(
    gw: &Gateway,
    query: &str,
) -> (reqwest::StatusCode, Option<Form>, String) {
    let r = gw
        .http
        .get(gw.url(&format!("/login{query}")))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let csrf = set_cookie(&r, "gsa_csrf");
    let body = r.text().await.unwrap();
    (
        status,
        csrf.map(|c| Form {
            csrf: cookie_value(&c),
        }),
        body,
    )
}

pub(crate) async fn post_login(
    gw: &Gateway,
    form: &Form,
    user: &str,
    password: &str,
    return_to: &str,
    xff: Option<&str>,
) -> reqwest::Response {
    let mut req = gw
        .http
        .post(gw.url("/login"))
        .header("cookie", format!("gsa_csrf={}", form.csrf))
        .form(&[
            ("username", user),
            ("password", password),
            ("csrf", form.csrf.as_str()),
            ("return_to", return_to),
        ]);
    if let Some(x) = xff {
        req = req.header("x-forwarded-for", x);
    }
    req.send().await.unwrap()
}

async fn api_with_cookie(gw: &Gateway, session: &str, path: &str) -> (u16, Value) {
    let r = gw
        .http
        .get(gw.url(path))
        .header("cookie", format!("gsa_session={session}"))
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    let body = r.text().await.unwrap();
    (
        s,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

fn config_with_origin() -> GatewayConfig {
    GatewayConfig {
        login_origins: vec!["https://dash.example".into()],
        ..gw_config()
    }
}

#[tokio::test]
async fn login_form_csrf_redirects_session_and_logout() {
    let gw = Gateway::start_with(tempfile::tempdir().unwrap(), None, config_with_origin()).await;
    users::add(&gw.cfg, "ann", Role::Viewer, PASSWORD).unwrap();

    // The form: HTML, a CSRF cookie whose value is in the form, return_to escaped.
    let (s, form, html) = get_form(&gw, "?return_to=/dash%22%3E%3Cscript%3Ex%3C/script%3E").await;
    assert_eq!(s, 200);
    let form = form.expect("gsa_csrf cookie");
    assert!(html.contains(&format!("name=\"csrf\" value=\"{}\"", form.csrf)));
    assert!(!html.contains("<script>"), "return_to is escaped: {html}");
    assert!(html.contains("/dash&quot;&gt;&lt;script&gt;"), "{html}");
    // A registered origin is honoured.
    let (s, _, html) = get_form(&gw, "?return_to=https://dash.example/listings").await;
    assert_eq!(s, 200);
    assert!(html.contains("value=\"https://dash.example/listings\""));

    // Open-redirect attempts: refused with a JSON 400, on the form and on the post.
    for bad in [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "https://dash.example@evil.example/",
        "https://dash.example.evil.example/",
        "javascript:alert(1)",
    ] {
        let r = gw
            .http
            .get(gw.url("/login"))
            .query(&[("return_to", bad)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        assert_eq!(
            r.json::<Value>().await.unwrap()["error"],
            "invalid_return_to"
        );
        let r = post_login(&gw, &form, "ann", PASSWORD, bad, None).await;
        assert_eq!(r.status(), 400, "post {bad}");
        assert!(set_cookie(&r, "gsa_session").is_none());
    }

    // CSRF: missing, mismatched, or a cross-site Origin.
    let r = gw
        .http
        .post(gw.url("/login"))
        .form(&[("username", "ann"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "csrf_failed");
    let other = Form {
        csrf: gsa_gateway::sessions::random_token(),
    };
    let r = gw
        .http
        .post(gw.url("/login"))
        .header("cookie", format!("gsa_csrf={}", form.csrf))
        .form(&[
            ("username", "ann"),
            ("password", PASSWORD),
            ("csrf", other.csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = gw
        .http
        .post(gw.url("/login"))
        .header("cookie", format!("gsa_csrf={}", form.csrf))
        .header("origin", "https://evil.example")
        .form(&[
            ("username", "ann"),
            ("password", PASSWORD),
            ("csrf", form.csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // Wrong password and unknown user: the same status and body.
    let a = post_login(&gw, &form, "ann", "wrong password", "/", None).await;
    let (sa, ba) = (a.status(), a.text().await.unwrap());
    let b = post_login(&gw, &form, "nobody", PASSWORD, "/", None).await;
    let (sb, bb) = (b.status(), b.text().await.unwrap());
    assert_eq!((sa.as_u16(), sb.as_u16()), (401, 401));
    assert_eq!(ba, bb);
    assert!(ba.contains("invalid_credentials"));

    // Success: 303 to return_to with an HttpOnly SameSite session cookie.
    let r = post_login(&gw, &form, "ann", PASSWORD, "/dash", None).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/dash");
    let sc = set_cookie(&r, "gsa_session").expect("session cookie");
    assert!(sc.contains("HttpOnly") && sc.contains("SameSite=Lax") && sc.contains("Path=/"));
    assert!(!sc.contains("Secure"), "no TLS here: {sc}");
    let session = cookie_value(&sc);
    assert!(!sc.contains(PASSWORD));
    // The database keeps only a hash of the session id.
    let db = std::fs::read(gw.cfg.identity_db_path()).unwrap();
    assert!(!db.windows(session.len()).any(|w| w == session.as_bytes()));

    // The cookie works on the API with the role's scopes.
    let (s, _) = api_with_cookie(&gw, &session, "/api/listings").await;
    assert_eq!(s, 200);
    let (s, b) = api_with_cookie(&gw, &session, "/debug-env").await;
    assert_eq!((s, b["error"].as_str()), (403, Some("insufficient_scope")));
    let (s, _) = api_with_cookie(&gw, "not-a-session", "/api/listings").await;
    assert_eq!(s, 401);

    // Logout needs the CSRF token, then revokes the session server-side.
    let r = gw
        .http
        .post(gw.url("/logout"))
        .header("cookie", format!("gsa_session={session}"))
        .form(&[("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(api_with_cookie(&gw, &session, "/api/listings").await.0, 200);
    let r = gw
        .http
        .post(gw.url("/logout"))
        .header(
            "cookie",
            format!("gsa_session={session}; gsa_csrf={}", form.csrf),
        )
        .form(&[("csrf", form.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(set_cookie(&r, "gsa_session").unwrap().contains("Max-Age=0"));
    assert_eq!(api_with_cookie(&gw, &session, "/api/listings").await.0, 401);

    // A password change ends every session.
    let r = post_login(&gw, &form, "ann", PASSWORD, "/", None).await;
    let s2 = cookie_value(&set_cookie(&r, "gsa_session").unwrap());
    assert_ne!(s2, session, "a new id at each login");
    assert_eq!(api_with_cookie(&gw, &s2, "/api/listings").await.0, 200);
    users::passwd(&gw.cfg, "ann", "a new password!").unwrap();
    assert_eq!(api_with_cookie(&gw, &s2, "/api/listings").await.0, 401);

    // Idle expiry: a session unused for longer than the idle timeout is refused.
    let r = post_login(&gw, &form, "ann", "a new password!", "/", None).await;
    let s3 = cookie_value(&set_cookie(&r, "gsa_session").unwrap());
    assert_eq!(api_with_cookie(&gw, &s3, "/api/listings").await.0, 200);
    let conn = rusqlite::Connection::open(gw.cfg.identity_db_path()).unwrap();
    conn.execute(
        "UPDATE sessions SET last_seen = last_seen - 1801 WHERE revoked = 0",
        [],
    )
    .unwrap();
    assert_eq!(api_with_cookie(&gw, &s3, "/api/listings").await.0, 401);

    // An admin's session has the admin scope.
    users::add(&gw.cfg, "root", Role::Admin, PASSWORD).unwrap();
    let r = post_login(&gw, &form, "root", PASSWORD, "/", None).await;
    let s4 = cookie_value(&set_cookie(&r, "gsa_session").unwrap());
    let (s, b) = api_with_cookie(&gw, &s4, "/debug-env").await;
    assert_eq!(s, 200, "{b}");
    // Disabling a user ends the session too.
    users::disable(&gw.cfg, "root").unwrap();
    assert_eq!(api_with_cookie(&gw, &s4, "/debug-env").await.0, 401);
    gw.stop().await;
}

#[tokio::test]
async fn secure_cookie_behind_a_trusted_tls_proxy() {
    let cfg = GatewayConfig {
        trusted_proxies: vec!["127.0.0.1".parse::<IpAddr>().unwrap()],
        ..gw_config()
    };
    let gw = Gateway::start_with(tempfile::tempdir().unwrap(), None, cfg).await;
    users::add(&gw.cfg, "ann", Role::Viewer, PASSWORD).unwrap();
    let (_, form, _) = get_form(&gw, "").await;
    let form = form.unwrap();
    let r = gw
        .http
        .post(gw.url("/login"))
        .header("cookie", format!("gsa_csrf={}", form.csrf))
        .header("x-forwarded-proto", "https")
        .form(&[
            ("username", "ann"),
            ("password", PASSWORD),
            ("csrf", form.csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(set_cookie(&r, "gsa_session").unwrap().contains("; Secure"));
    gw.stop().await;
}

#[tokio::test]
async fn brute_force_bans_user_and_address_alike_and_the_ban_is_bounded() {
    let cfg = GatewayConfig {
        trusted_proxies: vec!["127.0.0.1".parse::<IpAddr>().unwrap()],
        login_ban: std::time::Duration::from_secs(1),
        ..gw_config()
    };
    let gw = Gateway::start_with(tempfile::tempdir().unwrap(), None, cfg).await;
    users::add(&gw.cfg, "ann", Role::Viewer, PASSWORD).unwrap();
    users::add(&gw.cfg, "bob", Role::Viewer, PASSWORD).unwrap();
    let (_, form, _) = get_form(&gw, "").await;
    let form = form.unwrap();
    let wrong = post_login(
        &gw,
        &form,
        "ann",
        "wrong password",
        "/",
        Some("203.0.113.1"),
    )
    .await;
    let wrong_body = wrong.text().await.unwrap();
    for _ in 0..2 {
        let r = post_login(
            &gw,
            &form,
            "ann",
            "wrong password",
            "/",
            Some("203.0.113.1"),
        )
        .await;
        assert_eq!(r.status(), 401);
    }
    // ann is banned: the right password from another address gets the wrong-password answer.
    let r = post_login(&gw, &form, "ann", PASSWORD, "/", Some("203.0.113.2")).await;
    assert_eq!(r.status(), 401);
    assert!(set_cookie(&r, "gsa_session").is_none());
    assert_eq!(
        r.text().await.unwrap(),
        wrong_body,
        "a ban looks like a wrong password"
    );
    // The address is banned too, for every user.
    let r = post_login(&gw, &form, "bob", PASSWORD, "/", Some("203.0.113.1")).await;
    assert_eq!(r.status(), 401);
    // Another user from another address is not affected.
    let r = post_login(&gw, &form, "bob", PASSWORD, "/", Some("203.0.113.3")).await;
    assert_eq!(r.status(), 303);
    // Attempts during the ban do not extend it: after the (1 s, configured) ban, the right
    // password works again. This polls; it asserts no duration.
    for _ in 0..5 {
        post_login(&gw, &form, "ann", "wrong again!", "/", Some("203.0.113.9")).await;
    }
    // Each poll comes from its own address, so the polls cannot build an address ban of their
    // own: what is asserted is that the ban on the user ends.
    let mut ok = false;
    for i in 0..300u32 {
        let addr = format!("198.51.100.{}", 1 + i % 250);
        let r = post_login(&gw, &form, "ann", PASSWORD, "/", Some(&addr)).await;
        if r.status() == 303 {
            ok = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ok, "the ban on ann must end");
    // Metrics counted the failures.
    let text = crate::harness::metrics_text(&gw).await;
    let failures: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("gsa_login_failures_total "))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(failures >= 9, "{text}");
    gw.stop().await;
}

/// `POST /login` as a browser holding a device cookie (`gsa_device`) would send it.
async fn post_login_device(
    gw: &Gateway,
    form: &Form,
    user: &str,
    password: &str,
    xff: &str,
    device: Option<&str>,
) -> reqwest::Response {
    let mut cookie = format!("gsa_csrf={}", form.csrf);
    if let Some(d) = device {
        cookie.push_str(&format!("; gsa_device={d}"));
    }
    gw.http
        .post(gw.url("/login"))
        .header("cookie", cookie)
        .header("x-forwarded-for", xff)
        .form(&[
            ("username", user),
            ("password", password),
            ("csrf", form.csrf.as_str()),
            ("return_to", "/"),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_banned_users_own_browser_still_logs_in_with_its_device_cookie() {
    // A long ban (the default 5 minutes): what is shown is the exemption, not the ban's end.
    let cfg = GatewayConfig {
        trusted_proxies: vec!["127.0.0.1".parse::<IpAddr>().unwrap()],
        ..gw_config()
    };
    let gw = Gateway::start_with(tempfile::tempdir().unwrap(), None, cfg).await;
    users::add(&gw.cfg, "ann", Role::Viewer, PASSWORD).unwrap();
    users::add(&gw.cfg, "bob", Role::Viewer, PASSWORD).unwrap();
    let (_, form, _) = get_form(&gw, "").await;
    let form = form.unwrap();

    // Ann's and Bob's browsers log in once and are given a device cookie: HttpOnly, strict,
    // sent back only to /login.
    let r = post_login_device(&gw, &form, "ann", PASSWORD, "198.51.100.7", None).await;
    assert_eq!(r.status(), 303);
    let sc = set_cookie(&r, "gsa_device").expect("device cookie");
    for attr in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/login",
        "Max-Age=2592000",
    ] {
        assert!(sc.contains(attr), "{attr}: {sc}");
    }
    let ann_device = cookie_value(&sc);
    assert!(!ann_device.contains(PASSWORD));
    let r = post_login_device(&gw, &form, "bob", PASSWORD, "198.51.100.8", None).await;
    let bob_device = cookie_value(&set_cookie(&r, "gsa_device").unwrap());

    // An attacker fails three times for ann from one address: ann and that address are banned.
    let attacker = "203.0.113.1";
    let wrong = post_login_device(&gw, &form, "ann", "guess 1", attacker, None).await;
    assert_eq!(wrong.status(), 401);
    let wrong_body = wrong.text().await.unwrap();
    for g in ["guess 2", "guess 3"] {
        let r = post_login_device(&gw, &form, "ann", g, attacker, None).await;
        assert_eq!(r.status(), 401);
    }
    // Without a device cookie, ann's right password from a fresh address is refused, with
    // exactly the wrong-password answer.
    let r = post_login_device(&gw, &form, "ann", PASSWORD, "198.51.100.50", None).await;
    assert_eq!(r.status(), 401);
    assert!(set_cookie(&r, "gsa_session").is_none());
    assert_eq!(r.text().await.unwrap(), wrong_body);

    // Ann's own browser, with its device cookie, logs in during the ban: a session and a
    // fresh device cookie.
    let r = post_login_device(
        &gw,
        &form,
        "ann",
        PASSWORD,
        "198.51.100.7",
        Some(&ann_device),
    )
    .await;
    assert_eq!(r.status(), 303);
    let session = cookie_value(&set_cookie(&r, "gsa_session").expect("session"));
    let renewed = cookie_value(&set_cookie(&r, "gsa_device").expect("new device cookie"));
    assert_ne!(renewed, ann_device);
    let api = gw
        .http
        .get(gw.url("/api/listings"))
        .header("cookie", format!("gsa_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 200);
    // ... even from the banned address (a NAT shared with the attacker).
    let r = post_login_device(&gw, &form, "ann", PASSWORD, attacker, Some(&renewed)).await;
    assert_eq!(r.status(), 303);

    // A device cookie does not exempt anyone else: bob's cookie for ann, bob's cookie with
    // its user part changed to ann (so only the MAC can refuse it), a tampered MAC, a made-up
    // value with a current issue time: all get the ban's answer.
    let b64 =
        |s: &str| base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, s);
    let forged_user = {
        let p: Vec<&str> = bob_device.split('.').collect();
        format!("{}.{}.{}.{}", b64("ann"), p[1], p[2], p[3])
    };
    let tampered = {
        // Change the MAC's first character: any base64url character there still decodes,
        // so the cookie is refused by the signature check, not by the decoder.
        let p: Vec<&str> = renewed.split('.').collect();
        let mac = p[3];
        let first = if mac.starts_with('A') { 'B' } else { 'A' };
        format!("{}.{}.{}.{first}{}", p[0], p[1], p[2], &mac[1..])
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let made_up = format!(
        "{}.{}.{now}.{}",
        b64("ann"),
        b64("nonce"),
        b64(&"x".repeat(32))
    );
    for (i, cookie) in [
        bob_device.as_str(),
        forged_user.as_str(),
        tampered.as_str(),
        made_up.as_str(),
    ]
    .into_iter()
    .enumerate()
    {
        let xff = format!("198.51.100.{}", 60 + i);
        let r = post_login_device(&gw, &form, "ann", PASSWORD, &xff, Some(cookie)).await;
        assert_eq!(r.status(), 401, "cookie {i} must not exempt");
        assert!(set_cookie(&r, "gsa_session").is_none());
        assert_eq!(r.text().await.unwrap(), wrong_body);
    }
    // Bob's own browser is trusted for bob, even on the attacker's banned address.
    let r = post_login_device(&gw, &form, "bob", PASSWORD, attacker, Some(&bob_device)).await;
    assert_eq!(r.status(), 303);

    // A device cookie has its own failure limit: three wrong passwords with it lock that
    // cookie out; then it counts as no cookie, and ann (still banned) is refused with it.
    let addr = "198.51.100.20";
    for g in ["typo 1", "typo 2", "typo 3"] {
        let r = post_login_device(&gw, &form, "ann", g, addr, Some(&renewed)).await;
        assert_eq!(r.status(), 401);
    }
    let r = post_login_device(&gw, &form, "ann", PASSWORD, addr, Some(&renewed)).await;
    assert_eq!(
        r.status(),
        401,
        "a locked-out device cookie does not exempt"
    );
    assert_eq!(r.text().await.unwrap(), wrong_body);
    // Those failures counted nowhere else: ann's other cookie works, the address is free.
    let r = post_login_device(&gw, &form, "ann", PASSWORD, addr, Some(&ann_device)).await;
    assert_eq!(r.status(), 303, "another cookie of ann's is not locked");
    let r = post_login_device(&gw, &form, "bob", PASSWORD, addr, None).await;
    assert_eq!(
        r.status(),
        303,
        "the address took no ban from device failures"
    );
    // Nor on the user: bob's typos with his cookie do not ban bob's name.
    for g in ["typo 1", "typo 2", "typo 3"] {
        let r = post_login_device(&gw, &form, "bob", g, "198.51.100.30", Some(&bob_device)).await;
        assert_eq!(r.status(), 401);
    }
    let r = post_login_device(&gw, &form, "bob", PASSWORD, "198.51.100.31", None).await;
    assert_eq!(
        r.status(),
        303,
        "bob's name took no ban from his device's failures"
    );
    gw.stop().await;
}
