//! highlight
