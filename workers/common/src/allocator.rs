//! The memory allocator of every gsa process: mimalloc, built without transparent huge pages.
//!
//! Why (issue 8, docs/BENCHMARKS.md): glibc's `malloc`/`free` took about a fifth of a score
//! card's instructions (callgrind, 30 fuel listings, 279,700 a card); with mimalloc a card takes
//! 240,500, 14 % fewer, and scores the same. With its default build, though, mimalloc's arenas
//! were backed by transparent huge pages: the analyzer worker peaked at 53-59 MB resident and the
//! logging worker at 51-56 MB (target: under 50 MB each; glibc: 31 and 35 MB). Built with
//! `no_thp` (the workspace's `mimalloc` dependency) they peak at 32-33 and 36-37 MB.
//!
//! Each binary and bench that measures gsa declares it:
//!
//! ```
//! #[global_allocator]
//! static ALLOCATOR: gsa_common::allocator::Allocator = gsa_common::allocator::Allocator;
//! # fn main() {
//! #     assert_eq!(vec![1u8; 3].len(), 3);
//! # }
//! ```

/// The global allocator type of gsa's binaries and benches (a zero-sized handle to mimalloc).
pub use mimalloc::MiMalloc as Allocator;
