//! Buying: carts, checkout and orders.

pub mod carts;
pub mod orders;
