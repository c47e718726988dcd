//! Many RPIs at once: one HKDF per key, AES over whole parallel blocks.
//!
//! AES backends encrypt several independent blocks at once (the cipher
//! crate's `ParBlocks`: AES-NI 8, VAES 64, the bitsliced software backend 4)
//! and fall back to one block at a time for a remainder, which costs nearly
//! as much as the parallel blocks, so a sizeable remainder is padded to
//! whole parallel blocks. [`RpiDeriver`] keeps its
//! block buffer between keys: deriving allocates nothing once it has grown.

use aes::cipher::consts::U16;
use aes::cipher::typenum::Unsigned;
use aes::cipher::{
    Array, BlockCipherDecBackend, BlockCipherDecClosure, BlockCipherDecrypt, BlockCipherEncBackend,
    BlockCipherEncClosure, BlockCipherEncrypt, BlockSizeUser, KeyInit, ParBlocks,
    ParBlocksSizeUser,
};
use aes::{Aes128Dec, Aes128Enc};

use super::crypto::{AEMK_INFO, RPIK_INFO, Rpi, Tek, TekKeys, padded_data};
use super::kdf::UnsaltedHkdf;
use super::table_aes::{TableAes128, TableAes128Dec};

/// The closure handed to the AES backend (the cipher crate's "rank-2
/// closure"), which knows how many blocks the backend takes at once:
/// whole parallel blocks go through the parallel path; a remainder of more
/// than a quarter of them is padded to whole ones (the buffer grows, then
/// shrinks back), since a single block costs about as much as several
/// taken together.
struct PaddedParBlocks<'a> {
    blocks: &'a mut Vec<[u8; 16]>,
}

impl BlockSizeUser for PaddedParBlocks<'_> {
    type BlockSize = U16;
}

impl PaddedParBlocks<'_> {
    #[inline(always)]
    fn run<P: ParBlocksSizeUser + BlockSizeUser<BlockSize = U16>>(
        self,
        mut parallel: impl FnMut(&mut ParBlocks<P>),
        mut single: impl FnMut(&mut Array<u8, U16>),
    ) {
        let size = P::ParBlocksSize::USIZE;
        let length = self.blocks.len();
        let remainder = length % size;
        if remainder * 4 > size {
            self.blocks.resize(length - remainder + size, [0; 16]);
        }
        let blocks = Array::cast_slice_from_core_mut(self.blocks.as_mut_slice());
        let (whole, tail) = ParBlocks::<P>::slice_as_chunks_mut(blocks);
        whole.iter_mut().for_each(&mut parallel);
        tail.iter_mut().for_each(&mut single);
        self.blocks.truncate(length);
    }
}

impl BlockCipherEncClosure for PaddedParBlocks<'_> {
    #[inline(always)]
    fn call<B: BlockCipherEncBackend<BlockSize = U16>>(self, backend: &B) {
        self.run::<B>(
            |blocks| backend.encrypt_par_blocks(blocks.into()),
            |block| backend.encrypt_block(block.into()),
        );
    }
}

impl BlockCipherDecClosure for PaddedParBlocks<'_> {
    #[inline(always)]
    fn call<B: BlockCipherDecBackend<BlockSize = U16>>(self, backend: &B) {
        self.run::<B>(
            |blocks| backend.decrypt_par_blocks(blocks.into()),
            |block| backend.decrypt_block(block.into()),
        );
    }
}

/// Which AES implementation an [`RpiDeriver`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AesBackend {
    /// The `aes` crate: AES instructions where the CPU has them, otherwise
    /// its constant-time bitsliced code.
    AesCrate,
    /// Four lookup tables (see `table_aes`): fast without AES instructions,
    /// not constant-time.
    Tables,
    /// Bitsliced over WebAssembly SIMD, eight blocks at a time.
    #[cfg(target_arch = "wasm32")]
    Simd128,
}

impl AesBackend {
    /// The fastest here: AES instructions if any, else (in WebAssembly)
    /// SIMD, else tables.
    pub fn fastest() -> Self {
        if aes::hardware_accelerated() {
            return Self::AesCrate;
        }
        #[cfg(target_arch = "wasm32")]
        return Self::Simd128;
        #[cfg(not(target_arch = "wasm32"))]
        Self::Tables
    }

    /// Every backend this target has.
    pub fn all() -> &'static [Self] {
        &[
            Self::AesCrate,
            Self::Tables,
            #[cfg(target_arch = "wasm32")]
            Self::Simd128,
        ]
    }
}

/// Keys whose HKDFs [`RpiDeriver::rpiks`] interleaves.
pub const HKDF_LANES: usize = 4;

/// Derives and recognises the RPIs of many diagnosis keys, reusing its
/// buffer: what matching runs for every key.
///
/// Only for *published* keys: some backends are not constant-time
/// ([`AesBackend::Tables`]).
pub struct RpiDeriver {
    hkdf: UnsaltedHkdf,
    blocks: Vec<[u8; 16]>,
    backend: AesBackend,
}

impl Default for RpiDeriver {
    fn default() -> Self {
        Self::new()
    }
}

impl RpiDeriver {
    /// A deriver with the fastest backend here.
    pub fn new() -> Self {
        Self::with_backend(AesBackend::fastest())
    }

    /// A deriver with the given backend; for tests and benchmarks of each.
    pub fn with_backend(backend: AesBackend) -> Self {
        Self {
            hkdf: UnsaltedHkdf::new(),
            blocks: Vec::with_capacity(256),
            backend,
        }
    }

    /// Its backend.
    pub fn backend(&self) -> AesBackend {
        self.backend
    }

    fn rpik(&self, tek: &Tek) -> [u8; 16] {
        self.hkdf.extract(tek).expand16(RPIK_INFO)
    }

    /// The RPIKs of `teks` in order, appended to `out`. On x86_64 with
    /// SHA-NI the HKDFs of [`HKDF_LANES`] keys run interleaved, which is
    /// faster than one key at a time; use it with
    /// [`selected_with_rpik`](Self::selected_with_rpik) for many keys.
    pub fn rpiks(&self, teks: &[Tek], out: &mut Vec<[u8; 16]>) {
        #[cfg(target_arch = "x86_64")]
        {
            let mut chunks = teks.chunks_exact(HKDF_LANES);
            for chunk in &mut chunks {
                if let Ok(chunk) = <&[Tek; HKDF_LANES]>::try_from(chunk) {
                    out.extend(super::kdf::derive_many(&self.hkdf, chunk, RPIK_INFO));
                }
            }
            out.extend(chunks.remainder().iter().map(|tek| self.rpik(tek)));
        }
        #[cfg(not(target_arch = "x86_64"))]
        out.extend(teks.iter().map(|tek| self.rpik(tek)));
    }

    /// Both keys of a TEK, for the few keys that matched and whose metadata
    /// must be decrypted.
    pub fn tek_keys(&self, tek: &Tek) -> TekKeys {
        let prk = self.hkdf.extract(tek);
        TekKeys {
            rpik: prk.expand16(RPIK_INFO),
            aemk: prk.expand16(AEMK_INFO),
        }
    }

    /// The RPIs of `count` consecutive intervals from `start` (the dense
    /// path: a whole key).
    pub fn consecutive(&mut self, tek: &Tek, start: u32, count: u32) -> &[Rpi] {
        self.selected(tek, (0..count).map(|offset| start.wrapping_add(offset)))
    }

    /// The RPIs of the given intervals, in their order (the sparse path:
    /// only the intervals an observation could match).
    pub fn selected(&mut self, tek: &Tek, intervals: impl IntoIterator<Item = u32>) -> &[Rpi] {
        let rpik = self.rpik(tek);
        self.selected_with_rpik(&rpik, intervals)
    }

    /// [`selected`](Self::selected) for a key whose RPIK is known (from
    /// [`rpiks`](Self::rpiks)).
    pub fn selected_with_rpik(
        &mut self,
        rpik: &[u8; 16],
        intervals: impl IntoIterator<Item = u32>,
    ) -> &[Rpi] {
        let rpik = *rpik;
        self.blocks.clear();
        self.blocks.extend(intervals.into_iter().map(padded_data));
        match self.backend {
            AesBackend::AesCrate => {
                let aes = Aes128Enc::new(&Array(rpik));
                aes.encrypt_with_backend(PaddedParBlocks {
                    blocks: &mut self.blocks,
                });
            }
            AesBackend::Tables => TableAes128::new(&rpik).encrypt_blocks(&mut self.blocks),
            #[cfg(target_arch = "wasm32")]
            AesBackend::Simd128 => {
                super::simd_aes::SimdAes128::new(&rpik).encrypt_blocks(&mut self.blocks);
            }
        }
        &self.blocks
    }

    /// The given RPIs decrypted under the TEK's RPIK: the padded data of an
    /// interval (see [`interval_of_padded_data`](super::crypto::interval_of_padded_data))
    /// exactly where the RPI is the key's. Cheaper than deriving when the
    /// log holds fewer RPIs than the key has candidate intervals.
    pub fn decrypted(&mut self, tek: &Tek, rpis: impl IntoIterator<Item = Rpi>) -> &[[u8; 16]] {
        let rpik = self.rpik(tek);
        self.decrypted_with_rpik(&rpik, rpis)
    }

    /// [`decrypted`](Self::decrypted) for a key whose RPIK is known (from
    /// [`rpiks`](Self::rpiks)).
    pub fn decrypted_with_rpik(
        &mut self,
        rpik: &[u8; 16],
        rpis: impl IntoIterator<Item = Rpi>,
    ) -> &[[u8; 16]] {
        let rpik = *rpik;
        self.blocks.clear();
        self.blocks.extend(rpis);
        match self.backend {
            AesBackend::AesCrate => {
                let aes = Aes128Dec::new(&Array(rpik));
                aes.decrypt_with_backend(PaddedParBlocks {
                    blocks: &mut self.blocks,
                });
            }
            AesBackend::Tables => TableAes128Dec::new(&rpik).decrypt_blocks(&mut self.blocks),
            #[cfg(target_arch = "wasm32")]
            AesBackend::Simd128 => {
                super::simd_aes::SimdAes128::new(&rpik).decrypt_blocks(&mut self.blocks);
            }
        }
        &self.blocks
    }
}
