//! The second factor: TOTP (RFC 6238, SHA-1, 6 digits, 30-second steps,
//! one step of clock skew either way) through `totp-rs`, and enrolment: a
//! fresh 160-bit secret shown as base32, as an `otpauth://` URI and as a QR
//! code (SVG markup, so the page needs no `data:` images).
//!
//! A secret is stored sealed ([`Db::seal_totp_secret`](crate::db::Db::seal_totp_secret),
//! [`Db::open_totp_secret`](crate::db::Db::open_totp_secret)): AES-256-GCM
//! under the server's TOTP key with the user's id as associated data, so a
//! copy of the database gives no second factor, and a value copied to
//! another user's row does not open there.

use shared::portal::TotpEnrolment;

use crate::error::AppError;

/// The issuer name authenticator apps show.
pub const ISSUER: &str = "Warn";
/// Seconds per step.
pub const STEP: u64 = 30;
const DIGITS: u8 = 6;

/// A new random secret, base32.
pub fn new_secret() -> Result<String, AppError> {
    let bytes = shared::random::try_bytes::<20>()?;
    Ok(totp_rs::Secret::from(bytes).to_base32())
}

fn totp(secret: &str) -> Result<totp_rs::Totp, AppError> {
    let secret = totp_rs::Secret::try_from_base32(secret)
        .map_err(|_| AppError::Internal("a stored TOTP secret is not base32".into()))?;
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(1)
        .with_step_duration(STEP)
        .with_secret(secret)
        .build()
        .map_err(|error| AppError::Internal(format!("TOTP parameters: {error}")))
}

/// The time step that `code` matches at unix second `now` (within one step
/// of skew), or `None`. Codes are compared in constant time by `totp-rs`.
pub fn check(secret: &str, code: &str, now: i64) -> Result<Option<i64>, AppError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != usize::from(DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let now = u64::try_from(now).unwrap_or(0);
    Ok(totp(secret)?
        .check(&code, now)
        .and_then(|step| i64::try_from(step).ok()))
}

/// The code for unix second `now` (the command line and tests use it).
pub fn code_at(secret: &str, now: i64) -> Result<String, AppError> {
    Ok(totp(secret)?
        .generate(u64::try_from(now).unwrap_or(0))
        .to_string())
}

/// What the enrolment page shows for `secret` of user `name`.
pub fn enrolment(name: &str, secret: &str) -> Result<TotpEnrolment, AppError> {
    let uri = format!(
        "otpauth://totp/{ISSUER}:{account}?secret={secret}&issuer={ISSUER}&algorithm=SHA1&digits={DIGITS}&period={STEP}",
        account = percent_encode(name),
    );
    let qr = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|error| AppError::Internal(format!("QR code: {error}")))?;
    let svg = qr
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // Inline in HTML the XML declaration is noise.
    let qr_svg = match svg.find("<svg") {
        Some(start) => svg[start..].to_owned(),
        None => svg,
    };
    Ok(TotpEnrolment {
        secret: secret.to_owned(),
        uri,
        qr_svg,
    })
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_its_step_and_its_neighbours_only() {
        let secret = new_secret().expect("secret");
        let now = 1_800_000_000;
        let code = code_at(&secret, now).expect("code");
        let step = now / 30;
        assert_eq!(check(&secret, &code, now).expect("check"), Some(step));
        assert_eq!(check(&secret, &code, now + 30).expect("check"), Some(step));
        assert_eq!(check(&secret, &code, now + 90).expect("check"), None);
        assert_eq!(check(&secret, "12345", now).expect("check"), None);
        assert_eq!(check(&secret, "abcdef", now).expect("check"), None);
    }

    #[test]
    fn rfc_6238_sha1_vector() {
        // RFC 6238 appendix B: secret "12345678901234567890", T = 59 s.
        let secret = totp_rs::Secret::from(b"12345678901234567890".to_vec()).to_base32();
        // The RFC lists 8 digits (94287082); the last six are the 6-digit code.
        assert_eq!(code_at(&secret, 59).expect("code"), "287082");
    }

    #[test]
    fn enrolment_names_the_account_and_draws_svg() {
        let enrolment = enrolment("anna@amt", "JBSWY3DPEHPK3PXP").expect("enrolment");
        assert!(
            enrolment
                .uri
                .starts_with("otpauth://totp/Warn:anna%40amt?secret=JBSWY3DPEHPK3PXP")
        );
        assert!(enrolment.qr_svg.starts_with("<svg"));
    }
}
