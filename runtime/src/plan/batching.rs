//! Which references `apply --batch-size N` moves in batches before its final
//! transaction, and which it leaves to that transaction.
//!
//! A reference moves early only where both ends are safe on their own:
//! - its table has an integer key to walk it by, in ranges (its primary key
//!   of one integer column; see `introspect::integer_keys`);
//! - the row it moves to already exists (or it is cleared): a reference to
//!   a model row this apply creates waits for the final transaction, which
//!   creates the row first.
//!
//! So a run stopped between batches leaves every reference pointing at a
//! model row that exists, and the model rows of deleted models are only
//! ever deleted by the final transaction.

use std::num::NonZeroU64;

use super::{BatchedColumn, Batching, Create, MappingEntry, ModelId, Plan, ReferenceUpdate};
use crate::references::RefColumn;

/// Whether a reference moving to `to` may move before the final transaction:
/// cleared, or moving to a row that exists before it (not one of `creates`).
pub(crate) fn moves_early(creates: &[Create], to: Option<&ModelId>) -> bool {
    to.is_none_or(|to| !creates.iter().any(|create| create.model == *to))
}

/// The mapping entries of a column that move in batches.
pub(crate) fn early_entries<'a>(
    plan: &'a Plan,
    entries: impl Iterator<Item = &'a MappingEntry> + 'a,
) -> impl Iterator<Item = &'a MappingEntry> + 'a {
    entries.filter(move |entry| moves_early(&plan.creates, entry.to.as_ref()))
}

/// The batching of `plan` (its reference counts computed) at `batch_size`,
/// over `columns` whose integer keys the plan looked up.
pub(crate) fn batching(
    plan: &Plan,
    columns: &[Option<RefColumn>],
    batch_size: NonZeroU64,
) -> Batching {
    let mut batched: Vec<BatchedColumn> = Vec::new();
    for (index, column) in columns.iter().enumerate() {
        let Some(column) = column else { continue };
        let updates: Vec<&ReferenceUpdate> = plan
            .reference_updates
            .iter()
            .filter(|update| update.reference == index)
            .collect();
        if updates.is_empty() {
            continue;
        }
        let key = column.walk_key.clone();
        let (early, late): (Vec<&ReferenceUpdate>, Vec<&ReferenceUpdate>) = updates
            .into_iter()
            .partition(|update| key.is_some() && moves_early(&plan.creates, update.to.as_ref()));
        batched.push(BatchedColumn {
            table: column.table.clone(),
            column: column.column.clone(),
            key,
            rows: early.iter().map(|update| update.rows).sum(),
            final_rows: late.iter().map(|update| update.rows).sum(),
        });
    }
    Batching {
        batch_size: batch_size.get(),
        columns: batched,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_references_to_rows_that_exist_or_none_move_early() {
        let created = ModelId::new("openai", "gpt-5");
        let existing = ModelId::new("openai", "gpt-4.1");
        let creates = [Create {
            model: created.clone(),
            token_limit: 1,
        }];
        assert!(!moves_early(&creates, Some(&created)));
        assert!(moves_early(&creates, Some(&existing)));
        assert!(moves_early(&creates, None));
    }

    #[test]
    fn batches_round_up_and_a_column_without_key_has_none() {
        let column = |key: Option<&str>, rows| BatchedColumn {
            table: "t".into(),
            column: "c".into(),
            key: key.map(str::to_owned),
            rows,
            final_rows: 0,
        };
        // 1,000, 2,000, 4,000, 8,000, then 10,000 at most.
        assert_eq!(column(Some("id"), 20_001).batches(10_000), 5);
        assert_eq!(column(Some("id"), 15_000).batches(10_000), 4);
        assert_eq!(column(Some("id"), 15_001).batches(10_000), 5);
        assert_eq!(column(Some("id"), 1_000).batches(10_000), 1);
        assert_eq!(column(Some("id"), 1_001).batches(10_000), 2);
        assert_eq!(column(Some("id"), 0).batches(10_000), 0);
        assert_eq!(column(None, 5).batches(10_000), 0);
        // At most 1,000 rows per batch: all of that size from the first.
        assert_eq!(column(Some("id"), 44).batches(4), 11);
        assert_eq!(column(Some("id"), 20_001).batches(1_000), 21);
        // 1,000, then 1,500 at most.
        assert_eq!(column(Some("id"), 2_500).batches(1_500), 2);
        assert_eq!(column(Some("id"), 2_501).batches(1_500), 3);
    }
}
