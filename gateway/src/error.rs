//! The one error type of the HTTP layer, each variant mapped to one status code in one place
//! (house style: launchbadge/realworld-axum-sqlx).
//!
//! Every 4xx/5xx response carries a JSON body `{"error": "<stable_code>", "message": "..."}`.
//! The client sees a short stable message; internal detail goes to the log (never secrets),
//! never to the response. OAuth endpoints reuse the same codes as RFC 6749 §5.2
//! (`invalid_client`, `invalid_scope`, ...) and also send `error_description`.

use axum::extract::rejection::{BytesRejection, JsonRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answered to an HTTP client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed (RFC 6749 §5.2 `invalid_request`). The string is safe to show.
    #[error("{0}")]
    BadRequest(String),
    /// 400 with a specific stable code (e.g. `invalid_cursor`, `unsupported_grant_type`).
    #[error("{message}")]
    BadRequestCode {
        /// Stable error code.
        code: &'static str,
        /// Human-readable message, safe to show.
        message: String,
    },
    /// 401 `invalid_client`: unknown client, wrong secret or disabled client (RFC 6749 §5.2).
    /// The same answer for every case, so client ids cannot be probed.
    #[error("client authentication failed")]
    InvalidClient {
        /// Whether the client tried HTTP Basic (then a `WWW-Authenticate: Basic` challenge is due).
        basic: bool,
    },
    /// 400 `invalid_scope`: a requested scope the client is not registered for (RFC 6749 §5.2).
    #[error("requested scope is not allowed for this client")]
    InvalidScope,
    /// 400 `invalid_target`: an audience the client is not registered for (RFC 8707 §2).
    #[error("requested audience is not allowed for this client")]
    InvalidTarget,
    /// 401 `invalid_token` on a protected resource (RFC 6750 §3.1); `reason` is logged at
    /// debug level only and never sent.
    #[error("missing or invalid access token")]
    Unauthorized {
        /// Internal reason code (e.g. `expired`), for the log.
        reason: &'static str,
        /// `true` when no credentials were sent at all (RFC 6750 §3.1: no error code then).
        missing: bool,
    },
    /// 403 `insufficient_scope` (RFC 6750 §3.1).
    #[error("the access token lacks scope {0}")]
    InsufficientScope(&'static str),
    /// 401 `invalid_credentials`: a failed login. The same answer for an unknown user, a wrong
    /// password, a disabled user and a banned user or address.
    #[error("invalid username or password")]
    InvalidCredentials,
    /// 403 `csrf_failed`: a form post without the matching CSRF token or from another origin.
    #[error("the form is stale or came from another site; reload it and try again")]
    CsrfFailed,
    /// 429 `rate_limited` with `Retry-After` (RFC 6585 §4).
    #[error("too many requests; retry later")]
    RateLimited(std::time::Duration),
    /// 404 `not_found`.
    #[error("not found")]
    NotFound,
    /// 405 `method_not_allowed`.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 413 `payload_too_large`.
    #[error("request body too large")]
    PayloadTooLarge,
    /// 415 `unsupported_media_type`.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 500 `internal`: the detail is logged, the client sees a generic message.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) | Self::BadRequestCode { .. } => StatusCode::BAD_REQUEST,
            Self::InvalidScope | Self::InvalidTarget => StatusCode::BAD_REQUEST,
            Self::InvalidClient { .. } | Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::InsufficientScope(_) | Self::CsrfFailed => StatusCode::FORBIDDEN,
            Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code sent as `error`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "invalid_request",
            Self::BadRequestCode { code, .. } => code,
            Self::InvalidClient { .. } => "invalid_client",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidTarget => "invalid_target",
            Self::Unauthorized { .. } => "invalid_token",
            Self::InsufficientScope(_) => "insufficient_scope",
            Self::InvalidCredentials => "invalid_credentials",
            Self::CsrfFailed => "csrf_failed",
            Self::RateLimited(_) => "rate_limited",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::Internal(_) => "internal",
        }
    }

    /// Shorthand for [`ApiError::BadRequestCode`].
    pub fn bad(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequestCode {
            code,
            message: message.into(),
        }
    }
}

/// Builds the JSON error body every error response carries.
pub fn error_body(code: &str, message: &str) -> serde_json::Value {
    json!({ "error": code, "message": message, "error_description": message })
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            Self::Internal(e) => tracing::error!(error = format!("{e:#}"), "internal error"),
            Self::Unauthorized { reason, .. } => tracing::debug!(reason, "bearer token rejected"),
            _ => tracing::debug!(code = self.code(), "request rejected"),
        }
        let mut resp = (
            status,
            axum::Json(error_body(self.code(), &self.to_string())),
        )
            .into_response();
        let challenge = match &self {
            // RFC 6749 §5.2: a 401 after Basic authentication carries the Basic challenge.
            Self::InvalidClient { basic: true } => Some("Basic realm=\"gsa\"".to_string()),
            // RFC 6750 §3: no error attribute when the request had no credentials.
            Self::Unauthorized { missing: true, .. } => Some("Bearer realm=\"gsa\"".to_string()),
            Self::Unauthorized { missing: false, .. } => {
                Some("Bearer realm=\"gsa\", error=\"invalid_token\"".to_string())
            }
            Self::InsufficientScope(scope) => Some(format!(
                "Bearer realm=\"gsa\", error=\"insufficient_scope\", scope=\"{scope}\""
            )),
            _ => None,
        };
        if let Some(v) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        if let Self::RateLimited(wait) = &self {
            let secs = crate::throttle::retry_after_secs(*wait);
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => {
                Self::UnsupportedMediaType("expected Content-Type: application/json".into())
            }
            JsonRejection::BytesRejection(b) => b.into(),
            other => Self::BadRequest(format!("invalid JSON body: {}", other.body_text())),
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::PayloadTooLarge
        } else {
            Self::BadRequest("could not read the request body".into())
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        Self::BadRequest(format!("invalid query string: {}", r.body_text()))
    }
}

/// A `Json` extractor whose rejections are [`ApiError`]s (JSON bodies), not axum's text/plain
/// answers (axum issues #865, #1611).
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;
