//! The verifiable access log. Every stored access event is a leaf of an append-only Merkle tree
//! (RFC 6962 / RFC 9162 hashing) in the order events were committed; the leaf is the event's
//! canonical JSON (RFC 8785) with the customer number replaced by a keyed hash. The tree is
//! stored and served as C2SP tlog-tiles; its size and root are signed on a cadence as C2SP
//! checkpoints (signed notes, Ed25519). Customers download inclusion proofs for their timeline
//! entries and check them offline (`einblick verify`); monitors mirror the tiles and ask for
//! consistency proofs; `einblick audit` recomputes everything from the database.

pub mod audit;
pub mod bundle;
pub mod checkpoint;
pub mod identity;
pub mod keys;
pub mod leaf;
pub mod proof;
pub mod retention;
pub mod tiles;
pub mod timeline_bundle;
pub mod tlog_proof;
pub mod witness;

pub use keys::LogKeys;
