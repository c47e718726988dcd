//! teleTANs: 10 characters from a 31-letter alphabet without look-alikes
//! (no 0, 1, I, L, O); 9 random characters and one check character.
//!
//! The check character is the first hex digit of SHA-256 over the first
//! nine characters, upper-cased, with `0` written `G` and `1` written `H`
//! (so it is always in the alphabet). A typing error is caught, and reported
//! as a check-character failure rather than "unknown teleTAN".

use sha2::{Digest, Sha256};

/// The alphabet: digits 2 to 9 and letters without I, L and O.
pub const ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Characters in a teleTAN.
pub const LENGTH: usize = 10;

/// A teleTAN whose characters and check character are valid.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TeleTan(String);

impl std::fmt::Debug for TeleTan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A teleTAN is a secret: never in debug output or logs.
        f.write_str("TeleTan(…)")
    }
}

/// Why a text is not a teleTAN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TeleTanError {
    /// Not 10 characters (after removing spaces and dashes).
    #[error("a teleTAN has {LENGTH} characters, this has {0}")]
    Length(usize),
    /// A character outside the alphabet, at a 1-based position.
    #[error("character {position} ({character:?}) is not used in teleTANs")]
    Character {
        /// 1-based position.
        position: usize,
        /// The character found.
        character: char,
    },
    /// All characters are valid but the check character does not match:
    /// one of the first nine was mistyped.
    #[error("the check character does not match: a character was mistyped")]
    CheckCharacter,
}

impl TeleTan {
    /// A new teleTAN from the CSPRNG (about 44 bits of entropy).
    pub fn generate() -> Self {
        let mut body = [0u8; LENGTH - 1];
        let mut filled = 0;
        while filled < body.len() {
            // Rejection sampling keeps the alphabet uniform: 248 = 8 × 31.
            for byte in crate::random::bytes::<32>() {
                if filled < body.len() && byte < 248 {
                    body[filled] = ALPHABET[usize::from(byte % 31)];
                    filled += 1;
                }
            }
        }
        let mut text = String::from_utf8(body.to_vec()).expect("the alphabet is ASCII");
        text.push(check_character(&body));
        Self(text)
    }

    /// Reads a teleTAN as a person typed it: case is ignored, and spaces and
    /// dashes (used for reading it aloud in groups) are removed.
    pub fn parse(input: &str) -> Result<Self, TeleTanError> {
        let text: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let count = text.chars().count();
        if count != LENGTH {
            return Err(TeleTanError::Length(count));
        }
        if let Some((index, character)) = text
            .chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii() || !ALPHABET.contains(&(*c as u8)))
        {
            return Err(TeleTanError::Character {
                position: index + 1,
                character,
            });
        }
        let bytes = text.as_bytes();
        if check_character(&bytes[..LENGTH - 1]) != char::from(bytes[LENGTH - 1]) {
            return Err(TeleTanError::CheckCharacter);
        }
        Ok(Self(text))
    }

    /// The ten characters.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The characters in groups for reading aloud: `ABC DEF GHJ K`.
    pub fn grouped(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        chars
            .chunks(3)
            .map(|group| group.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The check character of nine teleTAN characters.
pub fn check_character(body: &[u8]) -> char {
    let digest = Sha256::digest(body);
    match digest[0] >> 4 {
        0 => 'G',
        1 => 'H',
        nibble => char::from_digit(u32::from(nibble), 16)
            .expect("a nibble is a hex digit")
            .to_ascii_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_teletans_parse_and_use_only_the_alphabet() {
        for _ in 0..500 {
            let tan = TeleTan::generate();
            assert_eq!(tan.expose().len(), LENGTH);
            assert!(tan.expose().bytes().all(|b| ALPHABET.contains(&b)));
            assert_eq!(TeleTan::parse(tan.expose()), Ok(tan.clone()));
        }
    }

    #[test]
    fn check_character_follows_the_rule() {
        // Bodies whose SHA-256 starts with each hex digit (computed with
        // Python's hashlib): 0 and 1 become G and H, letters are upper-cased.
        let cases = [
            ("R3ZNUE22K", 'G'),
            ("R3ZNUE23E", 'H'),
            ("R3ZNUE23B", '2'),
            ("R3ZNUE228", '9'),
            ("R3ZNUE223", 'A'),
            ("R3ZNUE22Z", 'F'),
        ];
        for (body, expected) in cases {
            assert_eq!(check_character(body.as_bytes()), expected, "{body}");
            let full = format!("{body}{expected}");
            assert!(TeleTan::parse(&full).is_ok(), "{full}");
        }
    }

    #[test]
    fn parse_reports_what_is_wrong() {
        let tan = TeleTan::generate();
        let text = tan.expose().to_owned();
        assert_eq!(TeleTan::parse(&text[..9]), Err(TeleTanError::Length(9)));
        let with_o = format!("O{}", &text[1..]);
        assert_eq!(
            TeleTan::parse(&with_o),
            Err(TeleTanError::Character {
                position: 1,
                character: 'O'
            })
        );
        // Replace one body character by another letter of the alphabet: the
        // check character no longer fits (for all but a 1-in-16 chance, so
        // try each replacement until one differs in digest).
        let mistyped = ALPHABET
            .iter()
            .map(|&c| format!("{}{}", char::from(c), &text[1..]))
            .find(|candidate| {
                candidate != &text
                    && check_character(&candidate.as_bytes()[..9])
                        != candidate.chars().last().unwrap()
            })
            .unwrap();
        assert_eq!(TeleTan::parse(&mistyped), Err(TeleTanError::CheckCharacter));
        let spaced = format!("{} {}-{}", &text[..3], &text[3..6], &text[6..]).to_lowercase();
        assert_eq!(TeleTan::parse(&spaced), Ok(tan));
    }

    #[test]
    fn debug_output_hides_the_value() {
        let tan = TeleTan::generate();
        assert!(!format!("{tan:?}").contains(tan.expose()));
    }
}
