//! Every portal route refuses a request without a session (401), with a
//! session of a role it does not admit (403), and a state-changing request
//! without the CSRF token (403, nothing changed).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::portal::Role;

use crate::app::TestApp;
use crate::portal_client::{PortalUser, logged_in, send};

/// A guarded route: method, path, a body it accepts, a role it admits and
/// a role it refuses (`None`: every role may use it).
struct Guarded {
    method: Method,
    path: &'static str,
    body: fn() -> Option<Value>,
    admitted: Role,
    refused: Option<Role>,
}

fn no_body() -> Option<Value> {
    None
}

fn new_user() -> Option<Value> {
    Some(json!({"name": "new-user", "role": "hotline"}))
}

fn batch() -> Option<Value> {
    Some(json!({"count": 1}))
}

fn lab_results() -> Option<Value> {
    Some(json!({"testResults": [{"id": "a".repeat(64), "result": 2}]}))
}

fn password_change() -> Option<Value> {
    Some(
        json!({"currentPassword": "correct horse battery staple", "newPassword": "another long passphrase"}),
    )
}

fn new_lab() -> Option<Value> {
    Some(json!({"name": "Guarded Lab"}))
}

fn routes() -> Vec<Guarded> {
    let route = |method: Method, path, body, admitted, refused| Guarded {
        method,
        path,
        body,
        admitted,
        refused,
    };
    vec![
        route(
            Method::GET,
            "/api/v1/portal/session",
            no_body,
            Role::Lab,
            None,
        ),
        route(
            Method::POST,
            "/api/v1/portal/logout",
            no_body,
            Role::Hotline,
            None,
        ),
        route(
            Method::POST,
            "/api/v1/portal/logout-everywhere",
            no_body,
            Role::HealthOfficer,
            None,
        ),
        route(
            Method::POST,
            "/api/v1/portal/teletans",
            no_body,
            Role::Hotline,
            Some(Role::Lab),
        ),
        route(
            Method::POST,
            "/api/v1/portal/teletans",
            no_body,
            Role::HealthOfficer,
            Some(Role::Admin),
        ),
        route(
            Method::POST,
            "/api/v1/portal/teletans/batch",
            batch,
            Role::HealthOfficer,
            Some(Role::Hotline),
        ),
        route(
            Method::POST,
            "/api/v1/portal/lab/results",
            lab_results,
            Role::Lab,
            Some(Role::Admin),
        ),
        route(
            Method::GET,
            "/api/v1/portal/labs",
            no_body,
            Role::Admin,
            Some(Role::Lab),
        ),
        route(
            Method::POST,
            "/api/v1/portal/labs",
            new_lab,
            Role::Admin,
            Some(Role::HealthOfficer),
        ),
        route(
            Method::POST,
            "/api/v1/portal/labs/1/disable",
            no_body,
            Role::Admin,
            Some(Role::Lab),
        ),
        route(
            Method::GET,
            "/api/v1/portal/stats",
            no_body,
            Role::Admin,
            Some(Role::Hotline),
        ),
        route(
            Method::GET,
            "/api/v1/portal/users",
            no_body,
            Role::Admin,
            Some(Role::Hotline),
        ),
        route(
            Method::POST,
            "/api/v1/portal/users",
            new_user,
            Role::Admin,
            Some(Role::HealthOfficer),
        ),
        route(
            Method::POST,
            "/api/v1/portal/users/1/disable",
            no_body,
            Role::Admin,
            Some(Role::Lab),
        ),
        route(
            Method::POST,
            "/api/v1/portal/users/1/enable",
            no_body,
            Role::Admin,
            Some(Role::Hotline),
        ),
        route(
            Method::POST,
            "/api/v1/portal/users/1/reset-totp",
            no_body,
            Role::Admin,
            Some(Role::Hotline),
        ),
        route(
            Method::POST,
            "/api/v1/portal/users/1/reset-password",
            no_body,
            Role::Admin,
            Some(Role::Hotline),
        ),
        route(
            Method::POST,
            "/api/v1/portal/password",
            password_change,
            Role::Lab,
            None,
        ),
        route(
            Method::GET,
            "/api/v1/portal/audit",
            no_body,
            Role::Admin,
            Some(Role::Lab),
        ),
    ]
}

async fn every_portal_route_checks_session_role_and_csrf(app: &TestApp) {
    let mut users: Vec<(Role, PortalUser)> = Vec::new();
    for role in Role::ALL {
        users.push((role, logged_in(app, role).await));
    }
    let user = |role: Role| {
        users
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, user)| user.clone())
            .expect("a user of every role")
    };
    let audit_rows = || async { app.count("portal_audit").await };
    for route in routes() {
        let case = format!("{} {}", route.method, route.path);

        let anonymous = send(
            app,
            route.method.clone(),
            route.path,
            None,
            None,
            (route.body)(),
        )
        .await;
        assert_eq!(
            anonymous.status,
            StatusCode::UNAUTHORIZED,
            "{case} without a session"
        );

        let forged = send(
            app,
            route.method.clone(),
            route.path,
            Some("warn_session=00000000000000000000000000000000000000000000000000000000000000ff"),
            Some("x"),
            (route.body)(),
        )
        .await;
        assert_eq!(
            forged.status,
            StatusCode::UNAUTHORIZED,
            "{case} with an unknown session"
        );

        if let Some(refused) = route.refused {
            let before = audit_rows().await;
            let answer = user(refused)
                .send(app, route.method.clone(), route.path, (route.body)())
                .await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{case} as {refused}");
            assert_eq!(
                audit_rows().await,
                before,
                "{case} as {refused} changed nothing"
            );
        }

        let admitted = user(route.admitted);
        if route.method == Method::GET {
            let answer = admitted
                .send(app, route.method.clone(), route.path, None)
                .await;
            assert_eq!(
                answer.status,
                StatusCode::OK,
                "{case} as {}",
                route.admitted
            );
        } else {
            let before = audit_rows().await;
            let answer = send(
                app,
                route.method.clone(),
                route.path,
                Some(&admitted.cookie),
                None,
                (route.body)(),
            )
            .await;
            assert_eq!(
                answer.status,
                StatusCode::FORBIDDEN,
                "{case} without CSRF token"
            );
            assert!(
                answer.body["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("CSRF"),
                "{case}: {}",
                answer.body
            );
            let wrong = send(
                app,
                route.method.clone(),
                route.path,
                Some(&admitted.cookie),
                Some(&"0".repeat(64)),
                (route.body)(),
            )
            .await;
            assert_eq!(
                wrong.status,
                StatusCode::FORBIDDEN,
                "{case} with a wrong CSRF token"
            );
            assert_eq!(
                audit_rows().await,
                before,
                "{case} without CSRF changed nothing"
            );
            let session = admitted
                .send(app, Method::GET, "/api/v1/portal/session", None)
                .await;
            assert_eq!(
                session.status,
                StatusCode::OK,
                "{case}: the session lives on"
            );
        }
    }
}

on_both_databases!(every_portal_route_checks_session_role_and_csrf);
