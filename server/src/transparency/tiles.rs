//! The Merkle tree stored as C2SP tlog-tiles of height 8: a tile at level L holds up to 256
//! consecutive hashes at tree level 8·L (level 0: the leaf hashes). Every node of the tree is
//! either in a tile or a hash over at most 256 hashes of one tile, so any proof needs a handful
//! of tiles. The arithmetic of stored-hash indexes, proofs and roots is `tlog_tiles` (a port of
//! Go's `sumdb/tlog`); this module stores and finds the tiles.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use tlog_tiles::{Error as TlogError, Hash, HashReader, Tile, HASH_SIZE};

use crate::db::{log, AnyConnection};
use crate::error::AppError;

pub const TILE_HEIGHT: u8 = 8;
pub const TILE_WIDTH: usize = 1 << TILE_HEIGHT;

/// A hash tile's coordinates in a C2SP tlog-tiles URL: `tile/<L>/<N>[.p/<W>]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileCoordinates {
    pub level: u8,
    pub index: u64,
    /// `None`: the full tile of 256 hashes.
    pub partial_width: Option<u16>,
}

impl TileCoordinates {
    /// Parses the part after `tile/`. N is written in groups of three digits, all but the last
    /// prefixed with `x`; anything not in that exact form is refused (one URL per tile).
    pub fn parse(path: &str) -> Option<TileCoordinates> {
        let (level, rest) = path.split_once('/')?;
        let level: u8 = level
            .parse()
            .ok()
            .filter(|l| *l < 64 && !level.starts_with('+'))?;
        let (number, partial_width) = match rest.split_once(".p/") {
            Some((number, raw_width)) => {
                let width: u16 = raw_width.parse().ok()?;
                if !(1..TILE_WIDTH as u16).contains(&width) {
                    return None;
                }
                (number, Some(width))
            }
            None => (rest, None),
        };
        let groups: Vec<&str> = number.split('/').collect();
        let mut index: u64 = 0;
        for (position, group) in groups.iter().enumerate() {
            let digits = if position + 1 < groups.len() {
                group.strip_prefix('x')?
            } else {
                group
            };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            index = index.checked_mul(1000)?.checked_add(digits.parse().ok()?)?;
        }
        let coordinates = TileCoordinates {
            level,
            index,
            partial_width,
        };
        (coordinates.path() == path).then_some(coordinates)
    }

    /// The path after `tile/`.
    pub fn path(&self) -> String {
        let mut groups = vec![format!("{:03}", self.index % 1000)];
        let mut rest = self.index / 1000;
        while rest > 0 {
            groups.push(format!("x{:03}", rest % 1000));
            rest /= 1000;
        }
        groups.reverse();
        let mut path = format!("{}/{}", self.level, groups.join("/"));
        if let Some(width) = self.partial_width {
            path.push_str(&format!(".p/{width}"));
        }
        path
    }

    pub fn width(&self) -> usize {
        self.partial_width.map_or(TILE_WIDTH, usize::from)
    }
}

/// Reads the stored hashes of the tiles with these (level, index) coordinates, in one go; a
/// tile that does not exist is left out.
pub trait FetchTiles: FnMut(&[(u8, u64)]) -> Result<Vec<((u8, u64), Vec<u8>)>, AppError> {}
impl<F: FnMut(&[(u8, u64)]) -> Result<Vec<((u8, u64), Vec<u8>)>, AppError>> FetchTiles for F {}

/// Answers `tlog_tiles`' requests for stored hashes from tiles, fetched through `fetch` (all
/// tiles one request needs at once) and kept for the reader's lifetime. Trusts what it reads:
/// proofs it helps build are checked against the signed root before they are handed out.
pub struct TileHashes<F: FetchTiles> {
    fetch: RefCell<F>,
    cache: RefCell<HashMap<(u8, u64), Vec<u8>>>,
    failure: RefCell<Option<AppError>>,
}

impl<F: FetchTiles> TileHashes<F> {
    pub fn new(fetch: F) -> Self {
        TileHashes {
            fetch: RefCell::new(fetch),
            cache: RefCell::default(),
            failure: RefCell::default(),
        }
    }

    /// The storage error behind a failed read, if that was the cause.
    pub fn take_failure(&self) -> Option<AppError> {
        self.failure.borrow_mut().take()
    }
}

impl<F: FetchTiles> HashReader for TileHashes<F> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TlogError> {
        let tiles: Vec<Tile> = indexes
            .iter()
            .map(|&index| Tile::from_index(TILE_HEIGHT, index))
            .collect();
        let mut cache = self.cache.borrow_mut();
        let mut missing: Vec<(u8, u64)> = tiles
            .iter()
            .map(|tile| (tile.level(), tile.level_index()))
            .filter(|key| !cache.contains_key(key))
            .collect();
        missing.sort_unstable();
        missing.dedup();
        if !missing.is_empty() {
            match (self.fetch.borrow_mut())(&missing) {
                Ok(found) => cache.extend(found),
                Err(e) => {
                    *self.failure.borrow_mut() = Some(e);
                    return Err(TlogError::IndexesNotInTree);
                }
            }
        }
        tiles
            .iter()
            .zip(indexes)
            .map(|(tile, &index)| {
                let data = cache
                    .get(&(tile.level(), tile.level_index()))
                    .ok_or(TlogError::IndexesNotInTree)?;
                tile.hash_at_index(data, index)
            })
            .collect()
    }
}

/// A reader over the stored tiles.
pub fn stored_tiles(conn: &mut AnyConnection) -> TileHashes<impl FetchTiles + '_> {
    TileHashes::new(move |wanted: &[(u8, u64)]| {
        let coordinates: Vec<(i16, i64)> = wanted
            .iter()
            .map(|&(level, index)| (i16::from(level), index as i64))
            .collect();
        Ok(log::tiles_at(conn, &coordinates)?
            .into_iter()
            .map(|(level, index, hashes)| ((level as u8, index as u64), hashes))
            .collect())
    })
}

/// How many hashes tree level 8·`level` has in a tree of `size` leaves.
pub fn entries_at(size: u64, level: u8) -> u64 {
    size.checked_shr(u32::from(TILE_HEIGHT) * u32::from(level))
        .unwrap_or(0)
}

/// Grows the tree from the stored tiles of a tree of `size` leaves: only the rightmost tile of
/// each level is ever rewritten; full tiles never change again.
pub struct TreeBuilder {
    size: u64,
    /// Per level, the rightmost tile's hashes so far (fewer than 256).
    right_edge: Vec<Vec<u8>>,
    /// Tiles filled since loading, to be stored.
    filled: BTreeMap<(u8, u64), Vec<u8>>,
}

impl TreeBuilder {
    pub fn load(conn: &mut AnyConnection, size: u64) -> Result<TreeBuilder, AppError> {
        let mut right_edge = Vec::new();
        let mut level = 0u8;
        while entries_at(size, level) > 0 {
            let entries = entries_at(size, level);
            let width = (entries % TILE_WIDTH as u64) as usize;
            let index = entries / TILE_WIDTH as u64;
            let mut hashes = Vec::new();
            if width > 0 {
                let stored = log::tile(conn, i16::from(level), index as i64)?
                    .filter(|stored| stored.len() >= width * HASH_SIZE)
                    .ok_or_else(|| {
                        AppError::internal(format!(
                            "the log's tile {} is missing or short",
                            TileCoordinates {
                                level,
                                index,
                                partial_width: Some(width as u16)
                            }
                            .path()
                        ))
                    })?;
                hashes = stored[..width * HASH_SIZE].to_vec();
            }
            right_edge.push(hashes);
            level += 1;
        }
        Ok(TreeBuilder {
            size,
            right_edge,
            filled: BTreeMap::new(),
        })
    }

    /// A tree of no leaves, held in memory only until stored.
    pub fn empty() -> TreeBuilder {
        TreeBuilder {
            size: 0,
            right_edge: Vec::new(),
            filled: BTreeMap::new(),
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn append(&mut self, leaf_hash: Hash) {
        self.size += 1;
        let mut hash = leaf_hash;
        let mut level = 0usize;
        loop {
            if self.right_edge.len() == level {
                self.right_edge.push(Vec::new());
            }
            let tile = &mut self.right_edge[level];
            tile.extend_from_slice(&hash.0);
            if tile.len() < TILE_WIDTH * HASH_SIZE {
                return;
            }
            let full = std::mem::take(tile);
            hash = Tile::subtree_hash(&full);
            let index = entries_at(self.size, level as u8 + 1) - 1;
            self.filled.insert((level as u8, index), full);
            level += 1;
        }
    }

    /// The tree's root hash (RFC 6962 MTH) at its current size.
    pub fn root(&self) -> Result<Hash, AppError> {
        tlog_tiles::tree_hash(self.size, &self.hashes())
            .map_err(|e| AppError::internal(format!("cannot compute the log's root: {e}")))
    }

    /// Reads the tiles held in memory: the right edge, and every tile filled since loading.
    pub fn hashes(&self) -> TileHashes<impl FetchTiles + '_> {
        TileHashes::new(|wanted: &[(u8, u64)]| {
            Ok(wanted
                .iter()
                .filter_map(|&(level, index)| Some(((level, index), self.tile(level, index)?)))
                .collect())
        })
    }

    fn tile(&self, level: u8, index: u64) -> Option<Vec<u8>> {
        if let Some(full) = self.filled.get(&(level, index)) {
            return Some(full.clone());
        }
        let entries = entries_at(self.size, level);
        let edge = self.right_edge.get(usize::from(level))?;
        (index == entries / TILE_WIDTH as u64 && !edge.is_empty()).then(|| edge.clone())
    }

    /// Stores the tiles filled since loading and the current rightmost tile of every level.
    pub fn store(&mut self, conn: &mut AnyConnection) -> Result<(), AppError> {
        for ((level, index), hashes) in std::mem::take(&mut self.filled) {
            log::store_tile(conn, i16::from(level), index as i64, &hashes)?;
        }
        for (level, hashes) in self.right_edge.iter().enumerate() {
            if !hashes.is_empty() {
                let index = entries_at(self.size, level as u8) / TILE_WIDTH as u64;
                log::store_tile(conn, level as i16, index as i64, hashes)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_paths_follow_c2sp() {
        let cases = [
            (0, 0, None, "0/000"),
            (0, 1_234_067, None, "0/x001/x234/067"),
            (1, 5, Some(17), "1/005.p/17"),
            (2, 1000, Some(255), "2/x001/000.p/255"),
        ];
        for (level, index, partial_width, path) in cases {
            let tile = TileCoordinates {
                level,
                index,
                partial_width,
            };
            assert_eq!(tile.path(), path);
            assert_eq!(TileCoordinates::parse(path), Some(tile), "{path}");
        }
        for bad in [
            "0/1",
            "0/0001",
            "0/x000/001",
            "0/001.p/0",
            "0/001.p/256",
            "0/001.p/07",
            "64/000",
            "0/x1/000",
            "0/001/",
            "+0/000",
            "0/00a",
        ] {
            assert_eq!(TileCoordinates::parse(bad), None, "{bad}");
        }
    }
}
