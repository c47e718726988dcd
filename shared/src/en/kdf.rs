//! HKDF-SHA256 specialised to the two derivations of the Exposure
//! Notification key schedule: a 16-byte TEK in, a 16-byte key out, no salt.
//!
//! A general HKDF (the `hkdf` crate) spends 8 SHA-256 compressions per
//! derived key. With the salt fixed (32 zero bytes) its HMAC pads are
//! constant, so extract costs 2 compressions, keying HMAC with the PRK 2 more,
//! and each expand 2: 6 for the RPIK, 8 for both keys. Matching derives an
//! RPIK for every diagnosis key, so this is most of its hashing.
//! The unit tests check this code against the `hkdf` crate.

use sha2::block_api::compress256;

/// The SHA-256 initial hash value (FIPS 180-4, 5.3.3).
const SHA256_IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];
const BLOCK: usize = 64;
const IPAD: u8 = 0x36;
const OPAD: u8 = 0x5c;

/// HMAC-SHA256 keyed with a key of at most 64 bytes: the hash states after
/// the inner and the outer pad block, so each message costs two compressions.
#[derive(Clone, Copy)]
struct HmacState {
    inner: [u32; 8],
    outer: [u32; 8],
}

impl HmacState {
    fn new(key: &[u8]) -> Self {
        debug_assert!(key.len() <= BLOCK);
        let mut inner_pad = [IPAD; BLOCK];
        let mut outer_pad = [OPAD; BLOCK];
        for (index, byte) in key.iter().enumerate() {
            inner_pad[index] ^= byte;
            outer_pad[index] ^= byte;
        }
        let mut inner = SHA256_IV;
        let mut outer = SHA256_IV;
        compress256(&mut inner, &[inner_pad]);
        compress256(&mut outer, &[outer_pad]);
        Self { inner, outer }
    }

    /// HMAC of a message that fits one block with its padding (at most 55
    /// bytes, always the case here: 16-byte TEKs and 8-byte infos).
    fn mac(&self, message: &[u8]) -> [u8; 32] {
        debug_assert!(message.len() <= BLOCK - 9);
        let mut state = self.inner;
        compress256(&mut state, &[final_block(message, BLOCK + message.len())]);
        let inner_hash = state_bytes(&state);
        let mut state = self.outer;
        compress256(&mut state, &[final_block(&inner_hash, BLOCK + 32)]);
        state_bytes(&state)
    }
}

/// The last (here: only) block of a message whose earlier blocks were
/// already hashed: the bytes, 0x80, zeros, and the total length in bits.
fn final_block(message: &[u8], total_length: usize) -> [u8; BLOCK] {
    let mut block = [0u8; BLOCK];
    block[..message.len()].copy_from_slice(message);
    block[message.len()] = 0x80;
    block[BLOCK - 8..].copy_from_slice(&((total_length as u64) * 8).to_be_bytes());
    block
}

fn state_bytes(state: &[u32; 8]) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    for (chunk, word) in bytes.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    bytes
}

/// HKDF-SHA256 with no salt (RFC 5869: 32 zero bytes), 16-byte outputs.
///
/// Build one per chunk of keys derived together: it holds the keyed state
/// of the fixed salt.
#[derive(Clone, Copy)]
pub(crate) struct UnsaltedHkdf {
    salt: HmacState,
}

/// The pseudorandom key of one input key material, ready to expand.
#[derive(Clone, Copy)]
pub(crate) struct Prk(HmacState);

impl UnsaltedHkdf {
    pub(crate) fn new() -> Self {
        Self {
            salt: HmacState::new(&[0u8; 32]),
        }
    }

    /// HKDF-Extract (RFC 5869): the pseudorandom key of a TEK under the
    /// fixed salt.
    pub(crate) fn extract(&self, input_key_material: &[u8; 16]) -> Prk {
        Prk(HmacState::new(&self.salt.mac(input_key_material)))
    }
}

impl Prk {
    /// HKDF-Expand to 16 bytes: the first half of `T(1) = HMAC(PRK, info || 0x01)`.
    pub(crate) fn expand16(&self, info: &[u8]) -> [u8; 16] {
        let mut message = [0u8; 16];
        let message = &mut message[..info.len() + 1];
        message[..info.len()].copy_from_slice(info);
        message[info.len()] = 1;
        let block = self.0.mac(message);
        let mut key = [0u8; 16];
        key.copy_from_slice(&block[..16]);
        key
    }
}

/// HKDF-Expand to 16 bytes of `L` keys at once, with their SHA-256
/// compressions interleaved (SHA-NI: see [`super::sha_ni`]): the same as
/// `hkdf.extract(ikm).expand16(info)` for each input key material. The
/// blocks are built as message words (HMAC's pads and SHA-256's padding
/// written out), so no state goes through bytes on the way.
#[cfg(target_arch = "x86_64")]
pub(crate) fn derive_many<const L: usize>(
    hkdf: &UnsaltedHkdf,
    input_key_materials: &[[u8; 16]; L],
    info: &[u8],
) -> [[u8; 16]; L] {
    use super::sha_ni::compress;
    debug_assert!(info.len() < 16);
    const IPAD_WORD: u32 = u32::from_be_bytes([IPAD; 4]);
    const OPAD_WORD: u32 = u32::from_be_bytes([OPAD; 4]);
    // Extract: HMAC(salt, IKM), the salt's pads already hashed.
    let mut inner = [hkdf.salt.inner; L];
    compress(
        &mut inner,
        &std::array::from_fn(|lane| {
            padded_words(&be_words::<4>(&input_key_materials[lane]), BLOCK + 16)
        }),
    );
    let mut prk = [hkdf.salt.outer; L];
    compress(
        &mut prk,
        &std::array::from_fn(|lane| padded_words(&inner[lane], BLOCK + 32)),
    );
    // HMAC keyed with each PRK (32 bytes): its two pad blocks.
    let pad = |lane: usize, word: u32| -> [u32; 16] {
        std::array::from_fn(|index| {
            if index < 8 {
                prk[lane][index] ^ word
            } else {
                word
            }
        })
    };
    let mut keyed_inner = [SHA256_IV; L];
    compress(
        &mut keyed_inner,
        &std::array::from_fn(|lane| pad(lane, IPAD_WORD)),
    );
    let mut keyed_outer = [SHA256_IV; L];
    compress(
        &mut keyed_outer,
        &std::array::from_fn(|lane| pad(lane, OPAD_WORD)),
    );
    // Expand: T(1) = HMAC(PRK, info || 0x01), the same block for every key.
    let mut message = [0u8; 16];
    message[..info.len()].copy_from_slice(info);
    message[info.len()] = 1;
    let block = final_block(&message[..info.len() + 1], BLOCK + info.len() + 1);
    compress(&mut keyed_inner, &[be_words::<16>(&block); L]);
    compress(
        &mut keyed_outer,
        &std::array::from_fn(|lane| padded_words(&keyed_inner[lane], BLOCK + 32)),
    );
    std::array::from_fn(|lane| {
        let mut key = [0u8; 16];
        key.copy_from_slice(&state_bytes(&keyed_outer[lane])[..16]);
        key
    })
}

/// [`final_block`] in message words, for a message of whole words.
#[cfg(target_arch = "x86_64")]
fn padded_words(words: &[u32], total_length: usize) -> [u32; 16] {
    let mut block = [0u32; 16];
    block[..words.len()].copy_from_slice(words);
    block[words.len()] = 0x8000_0000;
    block[15] = (total_length * 8) as u32;
    block
}

/// `bytes` as big-endian words (its length is `4 * N`).
#[cfg(target_arch = "x86_64")]
fn be_words<const N: usize>(bytes: &[u8]) -> [u32; N] {
    std::array::from_fn(|word| {
        u32::from_be_bytes([
            bytes[word * 4],
            bytes[word * 4 + 1],
            bytes[word * 4 + 2],
            bytes[word * 4 + 3],
        ])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(ikm: &[u8; 16], info: &[u8]) -> [u8; 16] {
        let mut out = [0u8; 16];
        hkdf::Hkdf::<sha2::Sha256>::new(None, ikm)
            .expand(info, &mut out)
            .unwrap();
        out
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn many_keys_at_once_agree_with_one_at_a_time() {
        let hkdf = UnsaltedHkdf::new();
        for round in 0..50u8 {
            let keys: [[u8; 16]; 4] = std::array::from_fn(|lane| {
                std::array::from_fn(|index| {
                    (index as u8).wrapping_mul(31) ^ round ^ (lane as u8 * 7)
                })
            });
            for info in [&b"EN-RPIK"[..], b"EN-AEMK", b""] {
                let many = derive_many(&hkdf, &keys, info);
                for (key, derived) in keys.iter().zip(many) {
                    assert_eq!(derived, reference(key, info), "{key:02x?} {info:?}");
                }
            }
        }
    }

    #[test]
    fn agrees_with_the_hkdf_crate() {
        let hkdf = UnsaltedHkdf::new();
        let mut ikm = [0u8; 16];
        for round in 0..64u8 {
            for (index, byte) in ikm.iter_mut().enumerate() {
                *byte = byte.wrapping_mul(167).wrapping_add(round ^ index as u8);
            }
            let prk = hkdf.extract(&ikm);
            for info in [&b"EN-RPIK"[..], b"EN-AEMK", b"", b"fourteen bytes"] {
                assert_eq!(
                    prk.expand16(info),
                    reference(&ikm, info),
                    "{ikm:02x?} {info:?}"
                );
            }
        }
    }
}
