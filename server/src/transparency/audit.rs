//! `einblick audit`: recomputes the log from the database's access events and compares it with
//! what was published. Every event is hashed again and compared with its leaf in the tiles; the
//! tree's root is recomputed from the events at every signed checkpoint size and compared with
//! the signed root; every checkpoint's signature is checked. A changed event shows as a leaf that
//! no longer matches (and roots that differ from then on); a removed one as a missing leaf,
//! unless the retention policy removed it (a run of `log_removed_leaves` under a pass note the
//! log's key signed): then its published hash stands in, it is counted apart, and the first
//! entry the customer still has may link to it.

use std::collections::HashMap;

use signed_note::{Note, StandardVerifier, VerifierList};
use tlog_tiles::{node_hash, record_hash, Hash, HASH_SIZE};

use super::keys::LogKeys;
use super::leaf::{leaf_bytes, V2};
use super::retention::pass_holds;
use super::tiles::{stored_tiles, TILE_WIDTH};
use crate::db::access_event::AccessEventRow;
use crate::db::log::{self, CheckpointRow};
use crate::db::retention;
use crate::db::AnyConnection;
use crate::error::AppError;

const READ_CHUNK: i64 = 5_000;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AuditReport {
    pub events_checked: u64,
    pub checkpoints_checked: u64,
    /// Leaves past the latest checkpoint: not yet published, nothing to compare with.
    pub uncovered_events: u64,
    /// Leaves whose events were removed under the retention policy.
    pub removed_by_retention: u64,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// The stored event no longer hashes to its published leaf.
    Changed {
        leaf_index: i64,
        source: String,
        event_id: String,
    },
    /// No access event holds this leaf index any more.
    Removed { leaf_index: i64 },
    /// A retention pass whose note is not signed by the log's key or does not state its runs:
    /// its leaves count as removed, not as removed under the policy.
    BadRetentionNote { removed_at: String },
    /// The root recomputed from the events at this size differs from the signed one.
    RootDiffers { tree_size: i64 },
    /// The stored checkpoint's signature, size or root does not hold.
    BadCheckpoint { tree_size: i64, problem: String },
    /// The tiles served to monitors do not reproduce the latest signed root.
    TilesDiffer { tree_size: i64 },
    /// A v2 leaf's link to the customer's previous entry (index, hash or count) is not the
    /// previous entry the database holds for that customer.
    ChainBroken { leaf_index: i64 },
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::Changed {
                leaf_index,
                source,
                event_id,
            } => write!(
                f,
                "leaf {leaf_index}: the event {source} {event_id} was changed after it was logged"
            ),
            Finding::Removed { leaf_index } => {
                write!(f, "leaf {leaf_index}: its access event was removed")
            }
            Finding::BadRetentionNote { removed_at } => write!(
                f,
                "retention pass of {removed_at}: its note is not signed by the log's key or does \
                 not state the leaves recorded under it"
            ),
            Finding::RootDiffers { tree_size } => write!(
                f,
                "checkpoint {tree_size}: the events no longer add up to the signed root"
            ),
            Finding::BadCheckpoint { tree_size, problem } => {
                write!(f, "checkpoint {tree_size}: {problem}")
            }
            Finding::ChainBroken { leaf_index } => write!(
                f,
                "leaf {leaf_index}: its link to the customer's previous entry does not match the \
                 events (one was removed, moved to another customer or changed)"
            ),
            Finding::TilesDiffer { tree_size } => write!(
                f,
                "checkpoint {tree_size}: the published tiles do not reproduce the signed root"
            ),
        }
    }
}

impl AuditReport {
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

pub fn audit(conn: &mut AnyConnection, keys: &LogKeys) -> Result<AuditReport, AppError> {
    let mut report = AuditReport::default();
    let checkpoints = log::all_checkpoints(conn)?;
    let covered = checkpoints.last().map_or(0, |c| c.tree_size);
    let committed = log::leaf_count(conn)?;
    report.uncovered_events = (committed - covered).max(0) as u64;
    check_signatures(&checkpoints, keys, &mut report)?;

    let signed_roots: HashMap<i64, &[u8]> = checkpoints
        .iter()
        .map(|c| (c.tree_size, c.root_hash.as_slice()))
        .collect();
    let removed_runs = signed_removals(conn, keys, &mut report)?;
    let removed = |leaf: i64| {
        let at = removed_runs.partition_point(|(first, _)| *first <= leaf);
        at > 0 && leaf < removed_runs[at - 1].1
    };
    let mut tree = CompactRange::default();
    let mut leaf_tile: Option<(i64, Vec<u8>)> = None;
    // Another cursor into the tiles, for the removed entries that kept ones link back to.
    let mut link_tile: Option<(i64, Vec<u8>)> = None;
    // Each customer's last chained entry so far: leaf index, leaf hash, count.
    let mut chains: HashMap<String, (i64, Hash, i64)> = HashMap::new();
    let mut next = 0i64;
    while next < covered {
        let chunk_end = (next + READ_CHUNK).min(covered);
        let events = log::events_by_leaf(conn, next, chunk_end)?;
        let mut events = events.into_iter().peekable();
        for leaf_index in next..chunk_end {
            let published = published_leaf(conn, &mut leaf_tile, leaf_index)?;
            let recomputed = match events.next_if(|e| e.leaf_index == leaf_index) {
                Some(event) => {
                    report.events_checked += 1;
                    let hash = record_hash(&leaf_bytes(keys, &event));
                    let removed_link = match event.customer_previous_leaf {
                        Some(previous) if removed(previous) => {
                            published_leaf(conn, &mut link_tile, previous)?
                        }
                        _ => None,
                    };
                    if event.leaf_format == V2 && !links_up(&mut chains, &event, hash, removed_link)
                    {
                        report.findings.push(Finding::ChainBroken { leaf_index });
                    }
                    if published.is_some_and(|p| p != hash) {
                        report.findings.push(Finding::Changed {
                            leaf_index,
                            source: event.source,
                            event_id: event.event_id,
                        });
                    }
                    hash
                }
                None if removed(leaf_index) => {
                    report.removed_by_retention += 1;
                    published.unwrap_or_default()
                }
                None => {
                    report.findings.push(Finding::Removed { leaf_index });
                    // Stand in the published hash, so later roots test the rest of the log.
                    published.unwrap_or_default()
                }
            };
            tree.append(recomputed);
            let size = leaf_index + 1;
            if let Some(signed) = signed_roots.get(&size) {
                if tree.root().0.as_slice() != *signed {
                    report
                        .findings
                        .push(Finding::RootDiffers { tree_size: size });
                }
            }
        }
        next = chunk_end;
    }
    report.events_checked += report.uncovered_events;

    if let Some(latest) = checkpoints.last() {
        let tiles = stored_tiles(conn);
        let from_tiles = tlog_tiles::tree_hash(latest.tree_size as u64, &tiles);
        if from_tiles.map_or(true, |root| {
            root.0.as_slice() != latest.root_hash.as_slice()
        }) {
            report.findings.push(Finding::TilesDiffer {
                tree_size: latest.tree_size,
            });
        }
    }
    Ok(report)
}

/// Whether a v2 event links to the customer's previous chained entry as the database holds it,
/// or, as the customer's first entry held, to one removed under the retention policy
/// (`removed_link`: the published hash of the leaf it links to, when that leaf was removed so);
/// it becomes the customer's last entry either way, so one break is reported once.
fn links_up(
    chains: &mut HashMap<String, (i64, Hash, i64)>,
    event: &AccessEventRow,
    hash: Hash,
    removed_link: Option<Hash>,
) -> bool {
    let entry = event.customer_entry.unwrap_or_default();
    let claimed = event
        .customer_previous_leaf
        .zip(event.customer_previous_hash.as_deref());
    let last = chains.get(&event.customer_ref);
    let holds = match (last, claimed) {
        (None, None) => entry == 1,
        (Some((leaf, last_hash, count)), Some(link)) if link == (*leaf, last_hash.0.as_slice()) => {
            Some(entry) == count.checked_add(1)
        }
        // The policy removes only the oldest entries of a chain: only the first entry still
        // held may link to a removed one.
        (None, Some((linked_leaf, linked_hash))) => {
            linked_leaf < event.leaf_index
                && entry >= 2
                && removed_link.is_some_and(|published| published.0.as_slice() == linked_hash)
        }
        (Some(_), _) => false,
    };
    chains.insert(event.customer_ref.clone(), (event.leaf_index, hash, entry));
    holds
}

/// The leaf runs removed under the retention policy, (first, end exclusive) in log order, of
/// the passes whose notes hold; each pass that does not is a finding.
fn signed_removals(
    conn: &mut AnyConnection,
    keys: &LogKeys,
    report: &mut AuditReport,
) -> Result<Vec<(i64, i64)>, AppError> {
    let verifier = StandardVerifier::new(keys.verifier_key())
        .map_err(|_| AppError::internal("the log's own public key does not parse"))?;
    let verifiers = VerifierList::new(vec![Box::new(verifier)]);
    let mut runs = Vec::new();
    for stored in retention::passes(conn)? {
        if pass_holds(&stored, keys.origin(), &verifiers) {
            runs.extend(stored.pass.leaf_runs);
        } else {
            report.findings.push(Finding::BadRetentionNote {
                removed_at: stored.pass.removed_at.to_string(),
            });
        }
    }
    runs.sort_unstable();
    Ok(runs)
}

/// Each stored checkpoint must carry a valid signature of this log's key over its own size and
/// root.
fn check_signatures(
    checkpoints: &[CheckpointRow],
    keys: &LogKeys,
    report: &mut AuditReport,
) -> Result<(), AppError> {
    let verifier = StandardVerifier::new(keys.verifier_key())
        .map_err(|_| AppError::internal("the log's own public key does not parse"))?;
    let verifiers = VerifierList::new(vec![Box::new(verifier)]);
    for row in checkpoints {
        report.checkpoints_checked += 1;
        if let Err(problem) = check_signature(row, &verifiers) {
            report.findings.push(Finding::BadCheckpoint {
                tree_size: row.tree_size,
                problem: problem.to_owned(),
            });
        }
    }
    Ok(())
}

fn check_signature(row: &CheckpointRow, verifiers: &VerifierList) -> Result<(), &'static str> {
    let note = Note::from_bytes(row.note.as_bytes()).map_err(|_| "the stored note is malformed")?;
    note.verify(verifiers)
        .map_err(|_| "the signature does not verify with the log's key")?;
    let checkpoint = tlog_tiles::Checkpoint::from_bytes(note.text())
        .map_err(|_| "the signed text is not a checkpoint")?;
    if checkpoint.size() as i64 != row.tree_size
        || checkpoint.hash().0.as_slice() != row.root_hash.as_slice()
    {
        return Err("the signed size or root differs from the stored one");
    }
    Ok(())
}

/// The leaf hash the tiles hold for `leaf_index`, reading one level-0 tile at a time.
fn published_leaf(
    conn: &mut AnyConnection,
    current: &mut Option<(i64, Vec<u8>)>,
    leaf_index: i64,
) -> Result<Option<Hash>, AppError> {
    let tile_index = leaf_index / TILE_WIDTH as i64;
    let hashes = match current {
        Some((index, hashes)) if *index == tile_index => hashes,
        _ => {
            let hashes = log::tile(conn, 0, tile_index)?.unwrap_or_default();
            &current.insert((tile_index, hashes)).1
        }
    };
    let offset = (leaf_index % TILE_WIDTH as i64) as usize * HASH_SIZE;
    Ok(hashes
        .get(offset..offset + HASH_SIZE)
        .and_then(|bytes| bytes.try_into().ok())
        .map(Hash))
}

/// The RFC 6962 tree's right edge: the roots of its perfect subtrees, largest first. Enough to
/// append and to compute the root at every size, in O(log n) memory.
#[derive(Default)]
struct CompactRange {
    size: u64,
    subtrees: Vec<Hash>,
}

impl CompactRange {
    fn append(&mut self, leaf_hash: Hash) {
        self.subtrees.push(leaf_hash);
        self.size += 1;
        let mut size = self.size;
        // An even size means the two newest subtrees have the same height: merge them.
        while size & 1 == 0 {
            let (Some(right), Some(left)) = (self.subtrees.pop(), self.subtrees.pop()) else {
                break;
            };
            self.subtrees.push(node_hash(left, right));
            size >>= 1;
        }
    }

    fn root(&self) -> Hash {
        let mut subtrees = self.subtrees.iter().rev();
        let Some(&last) = subtrees.next() else {
            return tlog_tiles::EMPTY_HASH;
        };
        subtrees.fold(last, |right, &left| node_hash(left, right))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_range_roots_match_tlog() {
        let leaves: Vec<Hash> = (0..300u32).map(|i| record_hash(&i.to_be_bytes())).collect();
        let mut range = CompactRange::default();
        let mut builder = super::super::tiles::TreeBuilder::empty();
        for (count, leaf) in leaves.iter().enumerate() {
            range.append(*leaf);
            builder.append(*leaf);
            assert_eq!(range.root(), builder.root().unwrap(), "size {}", count + 1);
        }
    }
}
