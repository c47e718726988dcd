//! A lookup table from RPI to observations, for matching's tens of
//! millions of lookups.

use super::crypto::Rpi;

/// A lookup table from RPI to the observations that carry it, without
/// hashing: entries sorted by RPI, and a table of where each value of the
/// top bits starts. Before that, a bit set over 16 to 24 other bits of the
/// RPI, about 3% full, turns almost every absent RPI away with one load
/// (matching looks up tens of millions, and finds a handful).
/// RPIs are AES outputs, so their bits spread evenly; a hostile log can
/// only make its own lookups slower, not wrong.
pub(crate) struct RpiIndex {
    filter: Vec<u64>,
    filter_mask: u64,
    shift: u32,
    starts: Vec<u32>,
    /// (RPI, position in time order), sorted.
    entries: Vec<(u128, u32)>,
}

impl RpiIndex {
    /// (RPI, position in time order), sorted.
    pub fn entries(&self) -> &[(u128, u32)] {
        &self.entries
    }

    pub fn new(rpis: impl Iterator<Item = Rpi>) -> Self {
        let mut entries: Vec<(u128, u32)> = rpis
            .enumerate()
            .map(|(index, rpi)| (u128::from_be_bytes(rpi), index as u32))
            .collect();
        entries.sort_unstable();
        let log2 = usize::BITS - entries.len().leading_zeros();

        let filter_bits = (log2 + 5).clamp(16, 24);
        let filter_mask = (1u64 << filter_bits) - 1;
        let mut filter = vec![0u64; 1 << (filter_bits - 6)];
        for (key, _) in &entries {
            let bit = *key as u64 & filter_mask;
            filter[(bit >> 6) as usize] |= 1 << (bit & 63);
        }

        // About two slots per entry.
        let bits = log2.clamp(1, 20) + 1;
        let shift = 128 - bits;
        let mut starts = vec![0u32; (1 << bits) + 1];
        for (key, _) in &entries {
            starts[(key >> shift) as usize + 1] += 1;
        }
        for slot in 1..starts.len() {
            starts[slot] += starts[slot - 1];
        }
        Self {
            filter,
            filter_mask,
            shift,
            starts,
            entries,
        }
    }

    /// The entries (RPI, position in time order) of `rpi`; usually none.
    #[inline]
    pub fn lookup(&self, rpi: &Rpi) -> &[(u128, u32)] {
        let key = u128::from_be_bytes(*rpi);
        let bit = key as u64 & self.filter_mask;
        if self.filter[(bit >> 6) as usize] & (1 << (bit & 63)) == 0 {
            return &[];
        }
        let slot = (key >> self.shift) as usize;
        let bucket = &self.entries[self.starts[slot] as usize..self.starts[slot + 1] as usize];
        let from = bucket.partition_point(|(other, _)| *other < key);
        let to = from + bucket[from..].partition_point(|(other, _)| *other == key);
        &bucket[from..to]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpi_index_finds_every_entry_and_nothing_else() {
        let rpis: Vec<Rpi> = (0..300u32)
            .map(|seed| {
                (u128::from(seed).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835))
                    .to_be_bytes()
            })
            .collect();
        let mut with_duplicate = rpis.clone();
        with_duplicate.push(rpis[7]);
        let index = RpiIndex::new(with_duplicate.iter().copied());
        for (position, rpi) in (0u32..).zip(&rpis) {
            let mut found: Vec<u32> = index.lookup(rpi).iter().map(|(_, index)| *index).collect();
            found.sort_unstable();
            let expected = if position == 7 {
                vec![7, 300]
            } else {
                vec![position]
            };
            assert_eq!(found, expected);
        }
        assert!(index.lookup(&[0xab; 16]).is_empty());
        assert!(
            RpiIndex::new(std::iter::empty())
                .lookup(&[0; 16])
                .is_empty()
        );
    }
}
