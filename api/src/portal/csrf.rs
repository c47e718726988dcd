//! The CSRF token: derived from the session id, so it needs no storage and
//! dies with the session. The page reads it from the log-in answer or from
//! `GET /api/v1/portal/session` (a same-origin read another site cannot
//! make) and sends it in [`shared::portal::CSRF_HEADER`]; the session cookie
//! itself is `HttpOnly`, so a script cannot derive the token.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The token for the session whose clear id is `session_id`.
pub fn token_for(session_id: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"warn portal csrf v1\0");
    hasher.update(session_id.as_bytes());
    hex::encode(hasher.finalize())
}

/// Whether `presented` is the token of `session_id` (constant time).
pub fn matches(session_id: &str, presented: Option<&[u8]>) -> bool {
    let Some(presented) = presented else {
        return false;
    };
    let expected = token_for(session_id);
    // Equal lengths are compared in constant time; the length is public.
    expected.as_bytes().ct_eq(presented).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_sessions_own_token_matches() {
        let token = token_for("a");
        assert!(matches("a", Some(token.as_bytes())));
        assert!(!matches("b", Some(token.as_bytes())));
        assert!(!matches("a", Some(b"")));
        assert!(!matches("a", None));
    }
}
