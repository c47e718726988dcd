//! The Exposure Notification key schedule (SPEC section 7, v1.2):
//! TEK → RPIK and AEMK, RPIs per interval, AEM encryption of the metadata.
//!
//! - `RPIK = HKDF-SHA256(TEK, no salt, "EN-RPIK", 16)`,
//!   `AEMK = HKDF-SHA256(TEK, no salt, "EN-AEMK", 16)`.
//! - `RPI = AES-128(RPIK, "EN-RPI" || 6 zero bytes || interval as u32 LE)`.
//! - `AEM = AES-128-CTR(AEMK, IV = RPI, metadata)`; with 4 bytes of metadata
//!   that is the metadata XOR the first 4 bytes of `AES-128(AEMK, RPI)`.
//!
//! Single values come from [`TekKeys`], [`RpiCipher`] and [`AemCipher`];
//! many at once from [`RpiDeriver`](super::RpiDeriver).

use aes::Aes128Enc;
use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};

use super::kdf::UnsaltedHkdf;

/// Length of a Temporary Exposure Key and of the keys derived from it.
pub const KEY_LENGTH: usize = 16;
/// Seconds in one Exposure Notification interval.
pub const INTERVAL_SECONDS: u64 = 600;
/// Intervals in a day: the rolling period of a full-day key.
pub const INTERVALS_PER_DAY: u32 = 144;
/// HKDF info of the Rolling Proximity Identifier Key.
pub const RPIK_INFO: &[u8] = b"EN-RPIK";
/// HKDF info of the Associated Encrypted Metadata Key.
pub const AEMK_INFO: &[u8] = b"EN-AEMK";
/// First bytes of every RPI plaintext.
pub const RPI_PREFIX: &[u8; 6] = b"EN-RPI";

/// A Temporary Exposure Key.
pub type Tek = [u8; KEY_LENGTH];
/// A Rolling Proximity Identifier: what a phone broadcasts for one interval.
pub type Rpi = [u8; 16];
/// Bluetooth metadata (version and transmit power), 4 bytes.
pub type MetadataBytes = [u8; 4];
/// Associated Encrypted Metadata: the metadata, encrypted under the AEMK.
pub type Aem = [u8; 4];

/// The interval number (`ENIntervalNumber`) of a moment, in unix seconds.
/// `None` past the year 83,000, where the number leaves `u32`.
pub fn interval_number(unix_seconds: u64) -> Option<u32> {
    u32::try_from(unix_seconds / INTERVAL_SECONDS).ok()
}

/// The RPI plaintext of an interval: `"EN-RPI"`, 6 zero bytes, the interval
/// number as 4 bytes little-endian.
pub fn padded_data(interval: u32) -> [u8; 16] {
    // Built as one integer: writing the prefix and the interval into a byte
    // array separately makes the CPU stall on the partial stores (store
    // forwarding), which cost more than the AES itself.
    const PREFIX: u128 = u128::from_le_bytes(*b"EN-RPI\0\0\0\0\0\0\0\0\0\0");
    (PREFIX | u128::from(interval) << 96).to_le_bytes()
}

/// The interval an RPI plaintext names, or `None` when the bytes are not a
/// padded-data block (so a decrypted RPI was not made with that key).
pub fn interval_of_padded_data(block: &[u8; 16]) -> Option<u32> {
    let (head, interval) = block.split_at(12);
    if head[..6] != RPI_PREFIX[..] || head[6..].iter().any(|byte| *byte != 0) {
        return None;
    }
    Some(u32::from_le_bytes(interval.try_into().ok()?))
}

/// The two keys derived from a TEK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TekKeys {
    /// Rolling Proximity Identifier Key.
    pub rpik: [u8; KEY_LENGTH],
    /// Associated Encrypted Metadata Key.
    pub aemk: [u8; KEY_LENGTH],
}

impl TekKeys {
    /// Derives both keys (one HKDF extract, two expands).
    pub fn derive(tek: &Tek) -> Self {
        let prk = UnsaltedHkdf::new().extract(tek);
        Self {
            rpik: prk.expand16(RPIK_INFO),
            aemk: prk.expand16(AEMK_INFO),
        }
    }

    /// The RPI cipher of these keys.
    pub fn rpi_cipher(&self) -> RpiCipher {
        RpiCipher::new(&self.rpik)
    }

    /// The AEM cipher of these keys.
    pub fn aem_cipher(&self) -> AemCipher {
        AemCipher::new(&self.aemk)
    }
}

/// The Rolling Proximity Identifier Key of a TEK.
pub fn rpik(tek: &Tek) -> [u8; KEY_LENGTH] {
    UnsaltedHkdf::new().extract(tek).expand16(RPIK_INFO)
}

/// The Associated Encrypted Metadata Key of a TEK.
pub fn aemk(tek: &Tek) -> [u8; KEY_LENGTH] {
    UnsaltedHkdf::new().extract(tek).expand16(AEMK_INFO)
}

/// AES-128 keyed with an RPIK: turns interval numbers into RPIs.
#[derive(Clone)]
pub struct RpiCipher {
    aes: Aes128Enc,
}

impl RpiCipher {
    /// The cipher of an RPIK.
    pub fn new(rpik: &[u8; KEY_LENGTH]) -> Self {
        Self {
            aes: Aes128Enc::new(&Array(*rpik)),
        }
    }

    /// The RPI of one interval.
    pub fn rpi(&self, interval: u32) -> Rpi {
        let mut block = Array(padded_data(interval));
        self.aes.encrypt_block(&mut block);
        block.0
    }

    /// The RPIs of consecutive intervals from `start`, written to `out`
    /// (one per element), in parallel blocks of as many as the AES backend
    /// encrypts at once.
    pub fn rpis(&self, start: u32, out: &mut [Rpi]) {
        for (offset, block) in (0u32..).zip(out.iter_mut()) {
            *block = padded_data(start.wrapping_add(offset));
        }
        self.aes
            .encrypt_blocks(Array::cast_slice_from_core_mut(out));
    }
}

/// AES-128 keyed with an AEMK: encrypts and decrypts the 4 metadata bytes.
#[derive(Clone)]
pub struct AemCipher {
    aes: Aes128Enc,
}

impl AemCipher {
    /// The cipher of an AEMK.
    pub fn new(aemk: &[u8; KEY_LENGTH]) -> Self {
        Self {
            aes: Aes128Enc::new(&Array(*aemk)),
        }
    }

    /// AES-128-CTR over 4 bytes with the RPI as the initial counter block.
    /// CTR mode is its own inverse: this both encrypts and decrypts.
    fn apply(&self, rpi: &Rpi, data: &[u8; 4]) -> [u8; 4] {
        let mut keystream = Array(*rpi);
        self.aes.encrypt_block(&mut keystream);
        let mut out = *data;
        for (byte, key) in out.iter_mut().zip(keystream.0) {
            *byte ^= key;
        }
        out
    }

    /// The AEM broadcast with `rpi`.
    pub fn encrypt(&self, rpi: &Rpi, metadata: &MetadataBytes) -> Aem {
        self.apply(rpi, metadata)
    }

    /// The metadata that came with `rpi`.
    pub fn decrypt(&self, rpi: &Rpi, aem: &Aem) -> Metadata {
        Metadata(self.apply(rpi, aem))
    }
}

/// Decrypted Bluetooth metadata: byte 0 holds the version (major in bits
/// 7–6, minor in bits 5–4), byte 1 the transmit power in dBm (signed),
/// bytes 2 and 3 are reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Metadata(pub MetadataBytes);

impl Metadata {
    /// The metadata of protocol version 1.0 with a transmit power.
    pub fn v1(tx_power_dbm: i8) -> Self {
        Self([0b0100_0000, tx_power_dbm.to_le_bytes()[0], 0, 0])
    }

    /// Major version (1 for the current protocol).
    pub fn version_major(&self) -> u8 {
        self.0[0] >> 6
    }

    /// Minor version.
    pub fn version_minor(&self) -> u8 {
        (self.0[0] >> 4) & 0b11
    }

    /// Transmit power of the broadcasting phone, in dBm.
    pub fn tx_power(&self) -> i8 {
        i8::from_le_bytes([self.0[1]])
    }
}

/// RPI (and, given metadata, AEM) of one interval, as [`derive_intervals`]
/// lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DerivedInterval {
    /// Interval number.
    pub interval: u32,
    /// Its RPI.
    pub rpi: Rpi,
    /// The AEM of the given metadata with this RPI.
    pub aem: Option<Aem>,
}

/// The RPIs of `count` intervals from `start`, with the AEMs of `metadata`
/// when given: what a phone holding `tek` broadcasts.
pub fn derive_intervals(
    tek: &Tek,
    start: u32,
    count: u32,
    metadata: Option<&MetadataBytes>,
) -> Vec<DerivedInterval> {
    let keys = TekKeys::derive(tek);
    let mut rpis = vec![[0u8; 16]; count as usize];
    keys.rpi_cipher().rpis(start, &mut rpis);
    let aem = metadata.map(|metadata| (keys.aem_cipher(), *metadata));
    (0u32..)
        .zip(rpis)
        .map(|(offset, rpi)| DerivedInterval {
            interval: start.wrapping_add(offset),
            rpi,
            aem: aem
                .as_ref()
                .map(|(cipher, metadata)| cipher.encrypt(&rpi, metadata)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_data_round_trips() {
        let block = padded_data(2_642_976);
        assert_eq!(&block[..6], b"EN-RPI");
        assert_eq!(interval_of_padded_data(&block), Some(2_642_976));
        let mut wrong = block;
        wrong[7] = 1;
        assert_eq!(interval_of_padded_data(&wrong), None);
    }

    #[test]
    fn metadata_fields() {
        let metadata = Metadata::v1(-12);
        assert_eq!((metadata.version_major(), metadata.version_minor()), (1, 0));
        assert_eq!(metadata.tx_power(), -12);
        assert_eq!(Metadata([0x40, 0x08, 0, 0]).tx_power(), 8);
    }
}
