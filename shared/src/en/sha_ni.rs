//! SHA-256 compressions of several independent messages at once with the
//! x86 SHA extensions (SHA-NI), for the HKDF of many keys.
//!
//! One compression is a chain of 32 dependent `sha256rnds2` steps, so a
//! single message leaves the SHA unit waiting on each step's latency;
//! interleaving `L` independent messages in one instruction stream fills
//! those gaps. The `sha2` crate compresses one state at a time, so this
//! file holds the interleaved variant (the round structure of Intel's
//! reference code, "Intel SHA Extensions", 2013, with `L` lanes).
//!
//! Every intrinsic here is safe to call inside the `#[target_feature]`
//! function; the one `unsafe` is the call into it, after the features were
//! detected at run time. Tests compare every lane with `sha2`'s
//! `compress256` on random states and blocks.

#![allow(unsafe_code)]

use core::arch::x86_64::{
    __m128i, _mm_add_epi32, _mm_alignr_epi8, _mm_extract_epi32, _mm_set_epi32,
    _mm_sha256msg1_epu32, _mm_sha256msg2_epu32, _mm_sha256rnds2_epu32, _mm_shuffle_epi32,
};

use sha2::block_api::compress256;

/// The SHA-256 round constants (FIPS 180-4, 4.2.2).
const K: [u32; 64] = [
    0x428a_2f98,
    0x7137_4491,
    0xb5c0_fbcf,
    0xe9b5_dba5,
    0x3956_c25b,
    0x59f1_11f1,
    0x923f_82a4,
    0xab1c_5ed5,
    0xd807_aa98,
    0x1283_5b01,
    0x2431_85be,
    0x550c_7dc3,
    0x72be_5d74,
    0x80de_b1fe,
    0x9bdc_06a7,
    0xc19b_f174,
    0xe49b_69c1,
    0xefbe_4786,
    0x0fc1_9dc6,
    0x240c_a1cc,
    0x2de9_2c6f,
    0x4a74_84aa,
    0x5cb0_a9dc,
    0x76f9_88da,
    0x983e_5152,
    0xa831_c66d,
    0xb003_27c8,
    0xbf59_7fc7,
    0xc6e0_0bf3,
    0xd5a7_9147,
    0x06ca_6351,
    0x1429_2967,
    0x27b7_0a85,
    0x2e1b_2138,
    0x4d2c_6dfc,
    0x5338_0d13,
    0x650a_7354,
    0x766a_0abb,
    0x81c2_c92e,
    0x9272_2c85,
    0xa2bf_e8a1,
    0xa81a_664b,
    0xc24b_8b70,
    0xc76c_51a3,
    0xd192_e819,
    0xd699_0624,
    0xf40e_3585,
    0x106a_a070,
    0x19a4_c116,
    0x1e37_6c08,
    0x2748_774c,
    0x34b0_bcb5,
    0x391c_0cb3,
    0x4ed8_aa4a,
    0x5b9c_ca4f,
    0x682e_6ff3,
    0x748f_82ee,
    0x78a5_636f,
    0x84c8_7814,
    0x8cc7_0208,
    0x90be_fffa,
    0xa450_6ceb,
    0xbef9_a3f7,
    0xc671_78f2,
];

/// Whether this CPU has what [`compress`] uses (checked once, then cached
/// by the standard library).
pub(crate) fn available() -> bool {
    std::arch::is_x86_feature_detected!("sha")
        && std::arch::is_x86_feature_detected!("sse4.1")
        && std::arch::is_x86_feature_detected!("ssse3")
}

/// Compresses the block of message words `blocks[i]` (big-endian words,
/// as SHA-256 reads them) into `states[i]` for every lane: the same as
/// `compress256(&mut states[i], &[bytes of blocks[i]])` for each `i`, with
/// SHA-NI when the CPU has it.
pub(crate) fn compress<const L: usize>(states: &mut [[u32; 8]; L], blocks: &[[u32; 16]; L]) {
    if available() {
        // SAFETY: `compress_ni` needs the `sha`, `sse4.1` and `ssse3` target
        // features (and SSE2, which x86_64 always has); `available` has just
        // detected them on this CPU.
        unsafe { compress_ni(states, blocks) }
    } else {
        compress_portable(states, blocks);
    }
}

/// [`compress`] without SHA-NI: one lane after the other with `sha2`.
fn compress_portable<const L: usize>(states: &mut [[u32; 8]; L], blocks: &[[u32; 16]; L]) {
    for (state, words) in states.iter_mut().zip(blocks) {
        let mut block = [0u8; 64];
        for (bytes, word) in block.chunks_exact_mut(4).zip(words) {
            bytes.copy_from_slice(&word.to_be_bytes());
        }
        compress256(state, std::slice::from_ref(&block));
    }
}

/// Four message words as a vector, word `i` of `words` in lane `i`.
#[target_feature(enable = "sse2")]
fn vector(words: &[u32]) -> __m128i {
    _mm_set_epi32(
        words[3] as i32,
        words[2] as i32,
        words[1] as i32,
        words[0] as i32,
    )
}

#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn compress_ni<const L: usize>(states: &mut [[u32; 8]; L], blocks: &[[u32; 16]; L]) {
    // The state as the SHA instructions keep it: ABEF and CDGH.
    let mut abef = [_mm_set_epi32(0, 0, 0, 0); L];
    let mut cdgh = [_mm_set_epi32(0, 0, 0, 0); L];
    // The message schedule: four vectors of four words per lane.
    let mut schedule = [[_mm_set_epi32(0, 0, 0, 0); 4]; L];
    for lane in 0..L {
        let [a, b, c, d, e, f, g, h] = states[lane];
        abef[lane] = _mm_set_epi32(a as i32, b as i32, e as i32, f as i32);
        cdgh[lane] = _mm_set_epi32(c as i32, d as i32, g as i32, h as i32);
        let words = &blocks[lane];
        for (group, vector_slot) in schedule[lane].iter_mut().enumerate() {
            *vector_slot = vector(&words[group * 4..group * 4 + 4]);
        }
    }
    let saved = (abef, cdgh);
    for group in 0..16 {
        let constants = vector(&K[group * 4..group * 4 + 4]);
        for lane in 0..L {
            let words = &mut schedule[lane];
            if group >= 4 {
                // W[t..t+4] from W[t-16..t]: the vectors of groups g-4 to
                // g-1 are words[g % 4], words[(g+1) % 4], ... .
                let w16 = words[group % 4];
                let w12 = words[(group + 1) % 4];
                let w8 = words[(group + 2) % 4];
                let w4 = words[(group + 3) % 4];
                let sum =
                    _mm_add_epi32(_mm_sha256msg1_epu32(w16, w12), _mm_alignr_epi8::<4>(w4, w8));
                words[group % 4] = _mm_sha256msg2_epu32(sum, w4);
            }
            let message = _mm_add_epi32(words[group % 4], constants);
            cdgh[lane] = _mm_sha256rnds2_epu32(cdgh[lane], abef[lane], message);
            let message = _mm_shuffle_epi32::<0x0E>(message);
            abef[lane] = _mm_sha256rnds2_epu32(abef[lane], cdgh[lane], message);
        }
    }
    for lane in 0..L {
        let abef = _mm_add_epi32(abef[lane], saved.0[lane]);
        let cdgh = _mm_add_epi32(cdgh[lane], saved.1[lane]);
        states[lane] = [
            _mm_extract_epi32::<3>(abef) as u32,
            _mm_extract_epi32::<2>(abef) as u32,
            _mm_extract_epi32::<3>(cdgh) as u32,
            _mm_extract_epi32::<2>(cdgh) as u32,
            _mm_extract_epi32::<1>(abef) as u32,
            _mm_extract_epi32::<0>(abef) as u32,
            _mm_extract_epi32::<1>(cdgh) as u32,
            _mm_extract_epi32::<0>(cdgh) as u32,
        ];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_lanes<const L: usize>(seed: u64) -> ([[u32; 8]; L], [[u32; 16]; L]) {
        // xorshift64*: enough to vary every bit of the inputs.
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = move || {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32
        };
        let mut states = [[0u32; 8]; L];
        let mut blocks = [[0u32; 16]; L];
        for lane in 0..L {
            states[lane] = std::array::from_fn(|_| next());
            blocks[lane] = std::array::from_fn(|_| next());
        }
        (states, blocks)
    }

    /// `sha2` on the bytes of one block, the reference.
    fn reference(state: &mut [u32; 8], words: &[u32; 16]) {
        let bytes: Vec<u8> = words.iter().flat_map(|word| word.to_be_bytes()).collect();
        let mut block = [0u8; 64];
        block.copy_from_slice(&bytes);
        compress256(state, std::slice::from_ref(&block));
    }

    fn agrees<const L: usize>() {
        for seed in 0..200 {
            let (states, blocks) = random_lanes::<L>(seed);
            let mut expected = states;
            for (state, words) in expected.iter_mut().zip(&blocks) {
                reference(state, words);
            }
            let mut interleaved = states;
            compress(&mut interleaved, &blocks);
            assert_eq!(interleaved, expected, "{L} lanes, seed {seed}");
            let mut portable = states;
            compress_portable(&mut portable, &blocks);
            assert_eq!(portable, expected, "{L} lanes without SHA-NI, seed {seed}");
        }
    }

    #[test]
    fn every_lane_agrees_with_sha2() {
        assert!(
            available() || std::env::var_os("CI").is_none(),
            "this CI machine has no SHA-NI: the interleaved path is not tested"
        );
        agrees::<1>();
        agrees::<2>();
        agrees::<4>();
    }
}
