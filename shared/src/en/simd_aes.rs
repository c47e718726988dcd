//! AES-128 bitsliced over WebAssembly's 128-bit SIMD: eight blocks at a
//! time, constant-time, for deriving and recognising RPIs in the browser.
//!
//! Layout (Käsper and Schwabe): eight vectors, one per bit; byte `j` of the
//! vector of bit `k` holds bit `k` of byte `j` of the eight blocks, block
//! `b` in bit `b`. ShiftRows and the row rotations of MixColumns are then
//! byte shuffles, and SubBytes is Boyar, Peralta and Calik's 113-gate
//! circuit on the eight vectors (InvSubBytes their 127-gate one; both gate
//! lists as scheduled in the `aes` crate's fixsliced backend). The circuit
//! leaves out SubBytes' four NOTs, that is, it computes `S(x) ^ 0x63`, and
//! the inverse circuit undoes exactly that; since (Inv)ShiftRows and
//! (Inv)MixColumns map a state of `0x63` bytes to itself, the constant goes
//! into round keys 1 to 10, the same for both directions. InvMixColumns is
//! MixColumns after `a_r ^= 4·(a_r ^ a_(r+2))`.
//!
//! Every function here is compiled for `simd128`: engines without WebAssembly
//! SIMD (none among current browsers) cannot load the module.

use core::arch::wasm32::{
    i8x16_ne, i8x16_shuffle, u8x16_splat, u64x2, u64x2_extract_lane, u64x2_shl, u64x2_shr, v128,
    v128_and, v128_xor,
};

use super::table_aes::{RoundKeys, expand};

/// Blocks per batch.
const LANES: usize = 8;

/// Eight blocks, one vector per bit.
type Planes = [v128; 8];

/// AES-128 encryption, round keys bitsliced.
#[derive(Clone)]
pub(crate) struct SimdAes128 {
    round_keys: [Planes; 11],
}

impl SimdAes128 {
    pub(crate) fn new(key: &[u8; 16]) -> Self {
        Self {
            round_keys: bitsliced_keys(&expand(key)),
        }
    }

    /// Decrypts each block in place, eight at a time.
    pub(crate) fn decrypt_blocks(&self, blocks: &mut [[u8; 16]]) {
        in_batches(blocks, |batch| decrypt8(&self.round_keys, batch));
    }

    /// Encrypts each block in place, eight at a time.
    pub(crate) fn encrypt_blocks(&self, blocks: &mut [[u8; 16]]) {
        in_batches(blocks, |batch| encrypt8(&self.round_keys, batch));
    }
}

/// Runs `cipher` over whole batches, the remainder padded to one.
fn in_batches(blocks: &mut [[u8; 16]], mut cipher: impl FnMut(&mut [[u8; 16]; LANES])) {
    let (batches, tail) = blocks.as_chunks_mut::<LANES>();
    batches.iter_mut().for_each(&mut cipher);
    if !tail.is_empty() {
        let mut padded = [[0u8; 16]; LANES];
        padded[..tail.len()].copy_from_slice(tail);
        cipher(&mut padded);
        tail.copy_from_slice(&padded[..tail.len()]);
    }
}

#[target_feature(enable = "simd128")]
#[inline]
fn xor(a: v128, b: v128) -> v128 {
    v128_xor(a, b)
}

#[target_feature(enable = "simd128")]
#[inline]
fn and(a: v128, b: v128) -> v128 {
    v128_and(a, b)
}

/// Bit `k` of every byte of each round key, as all-ones or all-zero bytes;
/// round keys 1 to 10 with `0x63` added (see the module comment).
#[target_feature(enable = "simd128")]
fn bitsliced_keys(keys: &RoundKeys) -> [Planes; 11] {
    core::array::from_fn(|round| {
        let words = keys[round];
        let constant = if round == 0 { 0 } else { 0x6363_6363 };
        let lo = u64::from(words[0] ^ constant) | u64::from(words[1] ^ constant) << 32;
        let hi = u64::from(words[2] ^ constant) | u64::from(words[3] ^ constant) << 32;
        let key = u64x2(lo, hi);
        core::array::from_fn(|bit| i8x16_ne(v128_and(key, u8x16_splat(1 << bit)), u8x16_splat(0)))
    })
}

/// Exchanges bits between two vectors: the bits of `a` under `mask <<
/// shift` with the bits of `b` under `mask` (within bytes: the masks keep
/// bits from crossing into the next byte).
#[target_feature(enable = "simd128")]
#[inline]
fn swap_move<const SHIFT: u32>(a: &mut v128, b: &mut v128, mask: v128) {
    let t = v128_and(v128_xor(u64x2_shr(*a, SHIFT), *b), mask);
    *b = v128_xor(*b, t);
    *a = v128_xor(*a, u64x2_shl(t, SHIFT));
}

/// Transposes the 8×8 bit matrix at each byte position: vector `b`, bit
/// `k` becomes vector `k`, bit `b`. Its own inverse.
#[target_feature(enable = "simd128")]
#[inline]
fn transpose(x: &mut Planes) {
    let [x0, x1, x2, x3, x4, x5, x6, x7] = x;
    let m1 = u8x16_splat(0x55);
    swap_move::<1>(x0, x1, m1);
    swap_move::<1>(x2, x3, m1);
    swap_move::<1>(x4, x5, m1);
    swap_move::<1>(x6, x7, m1);
    let m2 = u8x16_splat(0x33);
    swap_move::<2>(x0, x2, m2);
    swap_move::<2>(x1, x3, m2);
    swap_move::<2>(x4, x6, m2);
    swap_move::<2>(x5, x7, m2);
    let m4 = u8x16_splat(0x0f);
    swap_move::<4>(x0, x4, m4);
    swap_move::<4>(x1, x5, m4);
    swap_move::<4>(x2, x6, m4);
    swap_move::<4>(x3, x7, m4);
}

/// SubBytes without its affine constant (Boyar, Peralta and Calik).
///
/// Long on purpose: the published 113-gate circuit as one straight line,
/// gate by gate in the `aes` crate's schedule, so that it can be checked
/// against its source line by line; its intermediate values cross any
/// cut (a part would take and return dozens of vectors), and it is the hot
/// path of deriving RPIs in the browser.
#[allow(
    clippy::too_many_lines,
    reason = "the published gate circuit as one straight line, checkable against its source"
)]
#[target_feature(enable = "simd128")]
#[inline]
fn sub_bytes(state: &mut Planes) {
    let [u7, u6, u5, u4, u3, u2, u1, u0] = *state;
    let y14 = xor(u3, u5);
    let y13 = xor(u0, u6);
    let y12 = xor(y13, y14);
    let t1 = xor(u4, y12);
    let y15 = xor(t1, u5);
    let t2 = and(y12, y15);
    let y6 = xor(y15, u7);
    let y20 = xor(t1, u1);
    let y9 = xor(u0, u3);
    let y11 = xor(y20, y9);
    let t12 = and(y9, y11);
    let y7 = xor(u7, y11);
    let y8 = xor(u0, u5);
    let t0 = xor(u1, u2);
    let y10 = xor(y15, t0);
    let y17 = xor(y10, y11);
    let t13 = and(y14, y17);
    let t14 = xor(t13, t12);
    let y19 = xor(y10, y8);
    let t15 = and(y8, y10);
    let t16 = xor(t15, t12);
    let y16 = xor(t0, y11);
    let y21 = xor(y13, y16);
    let t7 = and(y13, y16);
    let y18 = xor(u0, y16);
    let y1 = xor(t0, u7);
    let y4 = xor(y1, u3);
    let t5 = and(y4, u7);
    let t6 = xor(t5, t2);
    let t18 = xor(t6, t16);
    let t22 = xor(t18, y19);
    let y2 = xor(y1, u0);
    let t10 = and(y2, y7);
    let t11 = xor(t10, t7);
    let t20 = xor(t11, t16);
    let t24 = xor(t20, y18);
    let y5 = xor(y1, u6);
    let t8 = and(y5, y1);
    let t9 = xor(t8, t7);
    let t19 = xor(t9, t14);
    let t23 = xor(t19, y21);
    let y3 = xor(y5, y8);
    let t3 = and(y3, y6);
    let t4 = xor(t3, t2);
    let t17 = xor(t4, y20);
    let t21 = xor(t17, t14);
    let t26 = and(t21, t23);
    let t27 = xor(t24, t26);
    let t31 = xor(t22, t26);
    let t25 = xor(t21, t22);
    let t28 = and(t25, t27);
    let t29 = xor(t28, t22);
    let z14 = and(t29, y2);
    let z5 = and(t29, y7);
    let t30 = xor(t23, t24);
    let t32 = and(t31, t30);
    let t33 = xor(t32, t24);
    let t35 = xor(t27, t33);
    let t36 = and(t24, t35);
    let t38 = xor(t27, t36);
    let t39 = and(t29, t38);
    let t40 = xor(t25, t39);
    let t43 = xor(t29, t40);
    let z3 = and(t43, y16);
    let tc12 = xor(z3, z5);
    let z12 = and(t43, y13);
    let z13 = and(t40, y5);
    let z4 = and(t40, y1);
    let tc6 = xor(z3, z4);
    let t34 = xor(t23, t33);
    let t37 = xor(t36, t34);
    let t41 = xor(t40, t37);
    let z8 = and(t41, y10);
    let z17 = and(t41, y8);
    let t44 = xor(t33, t37);
    let z0 = and(t44, y15);
    let z9 = and(t44, y12);
    let z10 = and(t37, y3);
    let z1 = and(t37, y6);
    let tc5 = xor(z1, z0);
    let tc11 = xor(tc6, tc5);
    let z11 = and(t33, y4);
    let t42 = xor(t29, t33);
    let t45 = xor(t42, t41);
    let z7 = and(t45, y17);
    let tc8 = xor(z7, tc6);
    let z16 = and(t45, y14);
    let z6 = and(t42, y11);
    let tc16 = xor(z6, tc8);
    let z15 = and(t42, y9);
    let tc20 = xor(z15, tc16);
    let tc1 = xor(z15, z16);
    let tc2 = xor(z10, tc1);
    let tc21 = xor(tc2, z11);
    let tc3 = xor(z9, tc2);
    let s0 = xor(tc3, tc16);
    let s3 = xor(tc3, tc11);
    let s1 = xor(s3, tc16);
    let tc13 = xor(z13, tc1);
    let z2 = and(t33, u7);
    let tc4 = xor(z0, z2);
    let tc7 = xor(z12, tc4);
    let tc9 = xor(z8, tc7);
    let tc10 = xor(tc8, tc9);
    let tc17 = xor(z14, tc10);
    let s5 = xor(tc21, tc17);
    let tc26 = xor(tc17, tc20);
    let s2 = xor(tc26, z17);
    let tc14 = xor(tc4, tc12);
    let tc18 = xor(tc13, tc14);
    let s6 = xor(tc10, tc18);
    let s7 = xor(z12, tc18);
    let s4 = xor(tc14, s3);
    *state = [s7, s6, s5, s4, s3, s2, s1, s0];
}

/// ShiftRows: byte `4c + r` takes byte `4(c + r) + r` (columns modulo 4).
#[target_feature(enable = "simd128")]
#[inline]
fn shift_rows(state: &mut Planes) {
    for plane in state {
        *plane =
            i8x16_shuffle::<0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 1, 6, 11>(*plane, *plane);
    }
}

/// Each byte takes the next row's byte of its column.
#[target_feature(enable = "simd128")]
#[inline]
fn rotate_rows_1(x: v128) -> v128 {
    i8x16_shuffle::<1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12>(x, x)
}

/// Each byte takes the byte two rows on.
#[target_feature(enable = "simd128")]
#[inline]
fn rotate_rows_2(x: v128) -> v128 {
    i8x16_shuffle::<2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13>(x, x)
}

/// MixColumns: `out_r = 2·a_r ^ 3·a_(r+1) ^ a_(r+2) ^ a_(r+3)`, computed
/// as `2·t ^ u ^ a` with `t = a ^ a_(r+1)` and `u = t ^ t_(r+2)`.
#[target_feature(enable = "simd128")]
#[inline]
fn mix_columns(state: &mut Planes) {
    let t: Planes = core::array::from_fn(|bit| v128_xor(state[bit], rotate_rows_1(state[bit])));
    let rest: Planes =
        core::array::from_fn(|bit| v128_xor(v128_xor(t[bit], rotate_rows_2(t[bit])), state[bit]));
    let doubled = double(&t);
    *state = core::array::from_fn(|bit| v128_xor(doubled[bit], rest[bit]));
}

#[target_feature(enable = "simd128")]
#[inline]
fn add_round_key(state: &mut Planes, key: &Planes) {
    for (plane, key) in state.iter_mut().zip(key) {
        *plane = v128_xor(*plane, *key);
    }
}

/// InvSubBytes for the state `SubBytes` without its constant leaves.
///
/// Long on purpose, as [`sub_bytes`]: the published 127-gate circuit as
/// one straight line, checkable against its source, whose intermediate
/// values cross any cut; the hot path of decrypting RPIs in the browser.
#[allow(
    clippy::too_many_lines,
    reason = "the published gate circuit as one straight line, checkable against its source"
)]
#[target_feature(enable = "simd128")]
#[inline]
fn inv_sub_bytes(state: &mut Planes) {
    let [u7, u6, u5, u4, u3, u2, u1, u0] = *state;
    let t23 = xor(u0, u3);
    let t8 = xor(u1, t23);
    let m2 = and(t23, t8);
    let t4 = xor(u4, t8);
    let t22 = xor(u1, u3);
    let t2 = xor(u0, u1);
    let t1 = xor(u3, u4);
    let t9 = xor(u7, t1);
    let m7 = and(t22, t9);
    let t24 = xor(u4, u7);
    let t10 = xor(t2, t24);
    let m14 = and(t2, t10);
    let r5 = xor(u6, u7);
    let t3 = xor(t1, r5);
    let t13 = xor(t2, r5);
    let t19 = xor(t22, r5);
    let t17 = xor(u2, t19);
    let t25 = xor(u2, t1);
    let r13 = xor(u1, u6);
    let t20 = xor(t24, r13);
    let m9 = and(t20, t17);
    let r17 = xor(u2, u5);
    let t6 = xor(t22, r17);
    let m1 = and(t13, t6);
    let y5 = xor(u0, r17);
    let m4 = and(t19, y5);
    let m5 = xor(m4, m1);
    let m17 = xor(m5, t24);
    let r18 = xor(u5, u6);
    let t27 = xor(t1, r18);
    let t15 = xor(t10, t27);
    let m11 = and(t1, t15);
    let m15 = xor(m14, m11);
    let m21 = xor(m17, m15);
    let m12 = and(t4, t27);
    let m13 = xor(m12, m11);
    let t14 = xor(t10, r18);
    let m3 = xor(t14, m1);
    let m16 = xor(m3, m2);
    let m20 = xor(m16, m13);
    let r19 = xor(u2, u4);
    let t16 = xor(r13, r19);
    let t26 = xor(t3, t16);
    let m6 = and(t3, t16);
    let m8 = xor(t26, m6);
    let m18 = xor(m8, m7);
    let m22 = xor(m18, m13);
    let m25 = and(m22, m20);
    let m26 = xor(m21, m25);
    let m10 = xor(m9, m6);
    let m19 = xor(m10, m15);
    let m23 = xor(m19, t25);
    let m28 = xor(m23, m25);
    let m24 = xor(m22, m23);
    let m30 = and(m26, m24);
    let m39 = xor(m23, m30);
    let m48 = and(m39, y5);
    let m57 = and(m39, t19);
    let m36 = xor(m24, m25);
    let m31 = and(m20, m23);
    let m27 = xor(m20, m21);
    let m32 = and(m27, m31);
    let m29 = and(m28, m27);
    let m37 = xor(m21, m29);
    let m42 = xor(m37, m39);
    let m52 = and(m42, t15);
    let m61 = and(m42, t1);
    let p0 = xor(m52, m61);
    let p16 = xor(m57, m61);
    let m60 = and(m37, t20);
    let m51 = and(m37, t17);
    let m33 = xor(m27, m25);
    let m38 = xor(m32, m33);
    let m43 = xor(m37, m38);
    let m49 = and(m43, t16);
    let p6 = xor(m49, m60);
    let p13 = xor(m49, m51);
    let m58 = and(m43, t3);
    let m50 = and(m38, t9);
    let m59 = and(m38, t22);
    let p1 = xor(m58, m59);
    let p7 = xor(p0, p1);
    let m34 = and(m21, m22);
    let m35 = and(m24, m34);
    let m40 = xor(m35, m36);
    let m41 = xor(m38, m40);
    let m45 = xor(m42, m41);
    let m53 = and(m45, t27);
    let p8 = xor(m50, m53);
    let p23 = xor(p7, p8);
    let m62 = and(m45, t4);
    let p14 = xor(m49, m62);
    let s6 = xor(p14, p23);
    let m54 = and(m41, t10);
    let p2 = xor(m54, m62);
    let p22 = xor(p2, p7);
    let s0 = xor(p13, p22);
    let p17 = xor(m58, p2);
    let p15 = xor(m54, m59);
    let m63 = and(m41, t2);
    let m44 = xor(m39, m40);
    let m46 = and(m44, t6);
    let p5 = xor(m46, m51);
    let p18 = xor(m63, p5);
    let p24 = xor(p5, p7);
    let p12 = xor(m46, m48);
    let s3 = xor(p12, p22);
    let m55 = and(m44, t13);
    let p9 = xor(m55, m63);
    let s7 = xor(p9, p16);
    let m47 = and(m40, t8);
    let p3 = xor(m47, m50);
    let p19 = xor(p2, p3);
    let s5 = xor(p19, p24);
    let p11 = xor(p0, p3);
    let p26 = xor(p9, p11);
    let m56 = and(m40, t23);
    let p4 = xor(m48, m56);
    let p20 = xor(p4, p6);
    let p29 = xor(p15, p20);
    let s1 = xor(p26, p29);
    let p10 = xor(m57, p4);
    let p27 = xor(p10, p18);
    let s4 = xor(p23, p27);
    let p25 = xor(p6, p10);
    let p28 = xor(p11, p25);
    let s2 = xor(p17, p28);
    *state = [s7, s6, s5, s4, s3, s2, s1, s0];
}

/// InvShiftRows: byte `4c + r` takes byte `4(c - r) + r` (columns modulo 4).
#[target_feature(enable = "simd128")]
#[inline]
fn inv_shift_rows(state: &mut Planes) {
    for plane in state {
        *plane =
            i8x16_shuffle::<0, 13, 10, 7, 4, 1, 14, 11, 8, 5, 2, 15, 12, 9, 6, 3>(*plane, *plane);
    }
}

/// Multiplication by 2 of every byte, modulo x^8 + x^4 + x^3 + x + 1: bit 7
/// feeds bits 0, 1, 3 and 4.
#[target_feature(enable = "simd128")]
#[inline]
fn double(x: &Planes) -> Planes {
    [
        x[7],
        v128_xor(x[0], x[7]),
        x[1],
        v128_xor(x[2], x[7]),
        v128_xor(x[3], x[7]),
        x[4],
        x[5],
        x[6],
    ]
}

/// InvMixColumns: MixColumns after `a_r ^= 4·(a_r ^ a_(r+2))`, since
/// `(14, 11, 13, 9) = (2, 3, 1, 1) · (5, 0, 4, 0)` as circulant matrices.
#[target_feature(enable = "simd128")]
#[inline]
fn inv_mix_columns(state: &mut Planes) {
    let pairs: Planes = core::array::from_fn(|bit| v128_xor(state[bit], rotate_rows_2(state[bit])));
    let quadrupled = double(&double(&pairs));
    for (plane, extra) in state.iter_mut().zip(quadrupled) {
        *plane = v128_xor(*plane, extra);
    }
    mix_columns(state);
}

#[target_feature(enable = "simd128")]
#[inline]
fn load(blocks: &[[u8; 16]; LANES]) -> Planes {
    let mut state: Planes = core::array::from_fn(|block| {
        let bytes = u128::from_le_bytes(blocks[block]);
        u64x2(bytes as u64, (bytes >> 64) as u64)
    });
    transpose(&mut state);
    state
}

#[target_feature(enable = "simd128")]
#[inline]
fn store(mut state: Planes, blocks: &mut [[u8; 16]; LANES]) {
    transpose(&mut state);
    for (block, plane) in blocks.iter_mut().zip(state) {
        block[..8].copy_from_slice(&u64x2_extract_lane::<0>(plane).to_le_bytes());
        block[8..].copy_from_slice(&u64x2_extract_lane::<1>(plane).to_le_bytes());
    }
}

/// Encrypts exactly eight blocks in place.
#[target_feature(enable = "simd128")]
fn encrypt8(keys: &[Planes; 11], blocks: &mut [[u8; 16]; LANES]) {
    let mut state = load(blocks);
    add_round_key(&mut state, &keys[0]);
    for key in &keys[1..10] {
        sub_bytes(&mut state);
        shift_rows(&mut state);
        mix_columns(&mut state);
        add_round_key(&mut state, key);
    }
    sub_bytes(&mut state);
    shift_rows(&mut state);
    add_round_key(&mut state, &keys[10]);
    store(state, blocks);
}

/// Decrypts exactly eight blocks in place (the inverse cipher of FIPS 197, 5.3).
#[target_feature(enable = "simd128")]
fn decrypt8(keys: &[Planes; 11], blocks: &mut [[u8; 16]; LANES]) {
    let mut state = load(blocks);
    add_round_key(&mut state, &keys[10]);
    for key in keys[1..10].iter().rev() {
        inv_shift_rows(&mut state);
        inv_sub_bytes(&mut state);
        add_round_key(&mut state, key);
        inv_mix_columns(&mut state);
    }
    inv_shift_rows(&mut state);
    inv_sub_bytes(&mut state);
    add_round_key(&mut state, &keys[0]);
    store(state, blocks);
}
