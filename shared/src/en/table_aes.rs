//! AES-128 with lookup tables: encryption and the equivalent inverse
//! cipher, for diagnosis keys where the CPU has no AES instructions.
//!
//! In WebAssembly the `aes` crate's portable backend is bitsliced four
//! blocks at a time: constant-time, but in Chromium here it derives about
//! 10 million RPIs a second, and its key schedule is costly. The classic
//! four-table AES derives about 14 million and has a cheap key schedule;
//! deriving in WebAssembly goes faster still through `simd_aes`, so there
//! the tables serve decryption (matching's other strategy).
//!
//! Table lookups leak the looked-up bytes through cache timing. That is
//! harmless here: this cipher only ever runs under RPIKs of *diagnosis*
//! keys, which are published to every phone. Secret keys (a phone's own
//! TEK) go through the constant-time `aes` crate, see [`super::crypto`].

/// The AES S-box.
const SBOX: [u8; 256] = sbox();

/// The inverse S-box.
const INV_SBOX: [u8; 256] = inverse(&SBOX);

/// The encryption table of row 0: for input byte `x` with `s = SBOX[x]`,
/// the MixColumns column `(2s, s, s, 3s)` as a little-endian word. The
/// tables of rows 1 to 3 are its byte rotations.
static TE: [[u32; 256]; 4] = [
    table(false, 0),
    table(false, 8),
    table(false, 16),
    table(false, 24),
];
/// The decryption tables: for `s = INV_SBOX[x]`, the InvMixColumns column
/// `(14s, 9s, 13s, 11s)`, and its rotations.
static TD: [[u32; 256]; 4] = [
    table(true, 0),
    table(true, 8),
    table(true, 16),
    table(true, 24),
];

/// Multiplication by x (that is, 2) in GF(2^8) modulo the AES polynomial.
const fn xtime(x: u8) -> u8 {
    (x << 1) ^ if x & 0x80 != 0 { 0x1b } else { 0 }
}

/// Multiplication in GF(2^8) modulo the AES polynomial.
const fn gf_mul(mut a: u8, mut b: u8) -> u8 {
    let mut product = 0;
    while b != 0 {
        if b & 1 != 0 {
            product ^= a;
        }
        a = xtime(a);
        b >>= 1;
    }
    product
}

/// The S-box from its definition: the multiplicative inverse in GF(2^8)
/// (x^254), then the affine map.
const fn sbox() -> [u8; 256] {
    let mut sbox = [0u8; 256];
    let mut x = 0;
    while x < 256 {
        // x^254 by square-and-multiply: 254 = 0b1111_1110.
        let mut inverse = 1u8;
        let mut power = x as u8;
        let mut exponent = 254u32;
        while exponent != 0 {
            if exponent & 1 != 0 {
                inverse = gf_mul(inverse, power);
            }
            power = gf_mul(power, power);
            exponent >>= 1;
        }
        let b = inverse;
        sbox[x] =
            b ^ b.rotate_left(1) ^ b.rotate_left(2) ^ b.rotate_left(3) ^ b.rotate_left(4) ^ 0x63;
        x += 1;
    }
    sbox
}

const fn inverse(sbox: &[u8; 256]) -> [u8; 256] {
    let mut inverse = [0u8; 256];
    let mut x = 0;
    while x < 256 {
        inverse[sbox[x] as usize] = x as u8;
        x += 1;
    }
    inverse
}

const fn table(decrypt: bool, rotation: u32) -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut x = 0;
    while x < 256 {
        let column = if decrypt {
            let s = INV_SBOX[x];
            [gf_mul(s, 14), gf_mul(s, 9), gf_mul(s, 13), gf_mul(s, 11)]
        } else {
            let s = SBOX[x];
            [gf_mul(s, 2), s, s, gf_mul(s, 3)]
        };
        table[x] = u32::from_le_bytes(column).rotate_left(rotation);
        x += 1;
    }
    table
}

#[inline(always)]
fn byte(word: u32, row: u32) -> usize {
    ((word >> (8 * row)) & 0xff) as usize
}

/// AES-128 round keys as little-endian column words.
pub(crate) type RoundKeys = [[u32; 4]; 11];

/// Expands a key (FIPS 197, 5.2).
pub(crate) fn expand(key: &[u8; 16]) -> RoundKeys {
    let mut words = [0u32; 44];
    for (word, chunk) in words.iter_mut().zip(key.chunks_exact(4)) {
        *word = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    let mut round_constant = 1u8;
    for index in 4..44 {
        let mut temp = words[index - 1];
        if index % 4 == 0 {
            // RotWord then SubWord; the round constant goes into byte 0.
            let rotated = temp.rotate_right(8);
            temp = u32::from_le_bytes([
                SBOX[byte(rotated, 0)] ^ round_constant,
                SBOX[byte(rotated, 1)],
                SBOX[byte(rotated, 2)],
                SBOX[byte(rotated, 3)],
            ]);
            round_constant = xtime(round_constant);
        }
        words[index] = words[index - 4] ^ temp;
    }
    let mut round_keys = [[0u32; 4]; 11];
    for (round_key, chunk) in round_keys.iter_mut().zip(words.chunks_exact(4)) {
        round_key.copy_from_slice(chunk);
    }
    round_keys
}

/// One block through ten rounds. Encryption takes row `r` of output column
/// `c` from input column `c + r` (ShiftRows), decryption from `c - r`
/// (InvShiftRows, the equivalent inverse cipher of FIPS 197, 5.3.5).
#[inline(always)]
fn rounds<const DECRYPT: bool>(
    keys: &RoundKeys,
    tables: &[[u32; 256]; 4],
    last: &[u8; 256],
    block: &[u8; 16],
) -> [u8; 16] {
    let source = |column: usize, row: usize| {
        if DECRYPT {
            (column + 4 - row) % 4
        } else {
            (column + row) % 4
        }
    };
    let input = u128::from_le_bytes(*block);
    let mut state: [u32; 4] =
        std::array::from_fn(|column| (input >> (32 * column)) as u32 ^ keys[0][column]);
    for key in &keys[1..10] {
        state = std::array::from_fn(|column| {
            tables[0][byte(state[source(column, 0)], 0)]
                ^ tables[1][byte(state[source(column, 1)], 1)]
                ^ tables[2][byte(state[source(column, 2)], 2)]
                ^ tables[3][byte(state[source(column, 3)], 3)]
                ^ key[column]
        });
    }
    let output: [u32; 4] = std::array::from_fn(|column| {
        u32::from_le_bytes(std::array::from_fn(|row| {
            last[byte(state[source(column, row)], row as u32)]
        })) ^ keys[10][column]
    });
    (u128::from(output[0])
        | u128::from(output[1]) << 32
        | u128::from(output[2]) << 64
        | u128::from(output[3]) << 96)
        .to_le_bytes()
}

/// AES-128 encryption with its expanded key.
#[derive(Clone)]
pub(crate) struct TableAes128 {
    round_keys: RoundKeys,
}

impl TableAes128 {
    pub(crate) fn new(key: &[u8; 16]) -> Self {
        Self {
            round_keys: expand(key),
        }
    }

    /// Encrypts each block in place.
    pub(crate) fn encrypt_blocks(&self, blocks: &mut [[u8; 16]]) {
        for block in blocks {
            *block = rounds::<false>(&self.round_keys, &TE, &SBOX, block);
        }
    }
}

/// AES-128 decryption with the round keys of the equivalent inverse
/// cipher: in reverse order, InvMixColumns applied to rounds 1 to 9.
#[derive(Clone)]
pub(crate) struct TableAes128Dec {
    round_keys: RoundKeys,
}

impl TableAes128Dec {
    pub(crate) fn new(key: &[u8; 16]) -> Self {
        let forward = expand(key);
        let mut round_keys = [[0u32; 4]; 11];
        for (round, round_key) in round_keys.iter_mut().enumerate() {
            let source = forward[10 - round];
            *round_key = if round == 0 || round == 10 {
                source
            } else {
                // InvMixColumns alone: the tables include InvSubBytes, so
                // undo it with SubBytes first.
                source.map(|word| {
                    (0..4).fold(0, |column, row| {
                        column ^ TD[row][usize::from(SBOX[byte(word, row as u32)])]
                    })
                })
            };
        }
        Self { round_keys }
    }

    /// Decrypts each block in place.
    pub(crate) fn decrypt_blocks(&self, blocks: &mut [[u8; 16]]) {
        for block in blocks {
            *block = rounds::<true>(&self.round_keys, &TD, &INV_SBOX, block);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};

    #[test]
    fn sbox_matches_fips_197() {
        assert_eq!(SBOX[0x00], 0x63);
        assert_eq!(SBOX[0x01], 0x7c);
        assert_eq!(SBOX[0x53], 0xed);
        assert_eq!(SBOX[0xff], 0x16);
    }

    #[test]
    fn fips_197_appendix_c1() {
        let key: [u8; 16] = core::array::from_fn(|index| index as u8);
        let mut block: [u8; 16] = core::array::from_fn(|index| (index as u8) * 0x11);
        TableAes128::new(&key).encrypt_blocks(core::slice::from_mut(&mut block));
        assert_eq!(hex::encode(block), "69c4e0d86a7b0430d8cdb78070b4c55a");
    }

    #[test]
    fn fips_197_appendix_c1_decrypts() {
        let key: [u8; 16] = core::array::from_fn(|index| index as u8);
        let mut block = [0u8; 16];
        hex::decode_to_slice("69c4e0d86a7b0430d8cdb78070b4c55a", &mut block).unwrap();
        TableAes128Dec::new(&key).decrypt_blocks(core::slice::from_mut(&mut block));
        assert_eq!(block, core::array::from_fn(|index| (index as u8) * 0x11));
    }

    #[test]
    fn agrees_with_the_aes_crate() {
        let mut state = 0x0123_4567_89ab_cdefu64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..200 {
            let key = (u128::from(next()) << 64 | u128::from(next())).to_le_bytes();
            let mut blocks: Vec<[u8; 16]> = (0..9)
                .map(|_| (u128::from(next()) << 64 | u128::from(next())).to_le_bytes())
                .collect();
            let reference = aes::Aes128Enc::new(&Array(key));
            let expected: Vec<[u8; 16]> = blocks
                .iter()
                .map(|block| {
                    let mut block = Array(*block);
                    reference.encrypt_block(&mut block);
                    block.0
                })
                .collect();
            let plain = blocks.clone();
            TableAes128::new(&key).encrypt_blocks(&mut blocks);
            assert_eq!(blocks, expected);
            TableAes128Dec::new(&key).decrypt_blocks(&mut blocks);
            assert_eq!(blocks, plain);
        }
    }
}
