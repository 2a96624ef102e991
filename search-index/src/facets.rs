//! facets
