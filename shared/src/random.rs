//! Random bytes from the operating system's CSPRNG (the browser's
//! `crypto.getRandomValues` on wasm32): the one place the project takes them.
//!
//! One policy for a source that fails (it never does on Linux 3.17+ or in a
//! browser, but a sandbox can forbid it): a caller that can answer with an
//! error uses [`try_bytes`] and passes [`RandomError`] on; a generator
//! without an error path ([`crate::verification::TeleTan::generate`], a
//! signing key) uses [`bytes`], which stops the thread, because going on
//! with predictable secrets would be worse. Nobody goes on with zeros.

/// The operating system gave no random bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the operating system's random source failed: {0}")]
pub struct RandomError(getrandom::Error);

/// `N` random bytes, or why there are none.
pub fn try_bytes<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(RandomError)?;
    Ok(bytes)
}

/// `N` random bytes.
///
/// # Panics
///
/// When the operating system has no random source (see the module).
pub fn bytes<const N: usize>() -> [u8; N] {
    match try_bytes() {
        Ok(bytes) => bytes,
        Err(error) => panic!("{error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_draws_differ() {
        // 2^-256 chance of a false failure.
        assert_ne!(bytes::<32>(), bytes::<32>());
        assert_ne!(try_bytes::<32>(), try_bytes::<32>());
    }
}
