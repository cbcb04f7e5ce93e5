//! A connection the [`Database`](super::Database) owns, or one it borrows
//! from the host for as long as the `Database` lives (a connection of the
//! host's pool, say).

use std::ops::{Deref, DerefMut};

/// Owned or borrowed; either way the runtime uses it as `&mut C`.
pub(crate) enum Held<'c, C> {
    /// Opened by the runtime ([`Database::connect`](super::Database::connect))
    /// or handed over by the host.
    Owned(C),
    /// The host's, lent for the `Database`'s lifetime.
    Borrowed(&'c mut C),
}

impl<C> Deref for Held<'_, C> {
    type Target = C;

    fn deref(&self) -> &C {
        match self {
            Self::Owned(conn) => conn,
            Self::Borrowed(conn) => conn,
        }
    }
}

impl<C> DerefMut for Held<'_, C> {
    fn deref_mut(&mut self) -> &mut C {
        match self {
            Self::Owned(conn) => conn,
            Self::Borrowed(conn) => conn,
        }
    }
}
