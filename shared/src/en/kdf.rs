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
/// Build one per batch of keys: it holds the keyed state of the fixed salt.
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

    /// HKDF-Extract.
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
