//! Checks the model table before a plan: the table and every mapped column
//! exist with a compatible type, and an insert leaves no `NOT NULL` column
//! without a default unset. One refusal per problem, before any write.

use crate::db::Conn;
use crate::diff::{ModelTableProblem, Refusal};
use crate::error::Error;
use crate::introspect::{self, ColumnInfo};
use crate::model_table::ModelTable;

/// What a mapped column must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Integer,
    Text,
    Boolean,
    Timestamp,
}

impl Kind {
    fn describe(self) -> &'static str {
        match self {
            Self::Integer => "an integer",
            Self::Text => "a text",
            Self::Boolean => "a boolean",
            Self::Timestamp => "a date-time",
        }
    }

    /// Whether a column declared `data_type` (lower case, as introspected)
    /// holds this kind of value.
    fn accepts(self, data_type: &str) -> bool {
        let words: Vec<&str> = data_type
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|word| !word.is_empty())
            .collect();
        let integer = |word: &&str| {
            (word.ends_with("int") && *word != "point")
                || word.ends_with("serial")
                || ["integer", "numeric", "decimal", "number"].contains(word)
        };
        let first = words.first().copied().unwrap_or_default();
        match self {
            Self::Integer => words.iter().any(integer),
            Self::Text => words.iter().any(|word| {
                word.ends_with("char")
                    || word.ends_with("text")
                    || ["character", "string", "clob"].contains(word)
            }),
            // MySQL's BOOLEAN is `tinyint`; SQLite stores booleans as integers.
            Self::Boolean => {
                ["bool", "boolean", "bit", "tinyint", "integer", "int"].contains(&first)
            }
            // SQLite keeps date-times as text.
            Self::Timestamp => {
                ["timestamp", "timestamptz", "datetime", "datetime2", "text"].contains(&first)
            }
        }
    }
}

/// Whether `table` exists and has no problem (else the plan refuses).
pub(crate) fn usable(conn: &mut Conn<'_>, table: &ModelTable) -> Result<bool, Error> {
    Ok(check(table, conn)?.is_empty())
}

/// The roles and their columns, with the kind each must hold.
fn roles(table: &ModelTable) -> Vec<(&'static str, &str, Kind)> {
    let mut roles = vec![
        ("id", table.id.as_str(), Kind::Integer),
        ("provider", table.provider.as_str(), Kind::Text),
        ("name", table.name.as_str(), Kind::Text),
        ("token_limit", table.token_limit.as_str(), Kind::Integer),
        ("deprecated", table.deprecated.as_str(), Kind::Boolean),
    ];
    if let Some(team) = &table.team {
        roles.push(("team", team, Kind::Integer));
    }
    if let Some(column) = &table.created_at {
        roles.push(("created_at", column, Kind::Timestamp));
    }
    if let Some(column) = &table.updated_at {
        roles.push(("updated_at", column, Kind::Timestamp));
    }
    roles
}

/// The problems that stop a plan on this table, one refusal each: a
/// missing table or column, a column of an incompatible type, a `NOT NULL`
/// column without a default that an insert would leave unset. The runtime's
/// own table is checked too (a table of that name may be someone else's).
pub(crate) fn check(table: &ModelTable, conn: &mut Conn<'_>) -> Result<Vec<Refusal>, Error> {
    let columns = introspect::columns(conn, std::slice::from_ref(&table.table))?;
    let refusal = |issue| Refusal::ModelTable {
        table: table.table.clone(),
        owned: table.owned,
        issue,
    };
    if columns.is_empty() {
        return Ok(vec![refusal(ModelTableProblem::MissingTable)]);
    }
    let get = |column: &str| columns.get(&(table.table.clone(), column.to_owned()));
    let mut refusals = Vec::new();
    for (role, column, kind) in roles(table) {
        match get(column) {
            None => refusals.push(refusal(ModelTableProblem::MissingColumn {
                role: role.to_owned(),
                column: column.to_owned(),
            })),
            Some(info) if !kind.accepts(&info.data_type) => {
                refusals.push(refusal(ModelTableProblem::IncompatibleType {
                    role: role.to_owned(),
                    column: column.to_owned(),
                    found: info.data_type.clone(),
                    expected: kind.describe().to_owned(),
                }));
            }
            Some(_) => {}
        }
    }
    for (column, _) in &table.values {
        if get(column).is_none() {
            refusals.push(refusal(ModelTableProblem::MissingColumn {
                role: "values".to_owned(),
                column: column.clone(),
            }));
        }
    }
    let set_on_insert = table.inserted_columns();
    let mut unset: Vec<(&String, &ColumnInfo)> = columns
        .iter()
        .filter(|((_, column), info)| {
            !info.nullable && !info.has_default && !set_on_insert.contains(&column.as_str())
        })
        .map(|((_, column), info)| (column, info))
        .collect();
    unset.sort_by_key(|(column, _)| column.as_str());
    for (column, _) in unset {
        refusals.push(refusal(if *column == table.id {
            ModelTableProblem::IdWithoutDefault {
                column: column.clone(),
            }
        } else {
            ModelTableProblem::UnsetColumn {
                column: column.clone(),
            }
        }));
    }
    Ok(refusals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_types_are_told_apart_as_each_engine_names_them() {
        for integer in [
            "bigint",
            "integer",
            "int",
            "smallint",
            "int(11)",
            "bigint unsigned",
        ] {
            assert!(Kind::Integer.accepts(integer), "{integer}");
        }
        for text in ["text", "character varying", "varchar", "longtext", "char"] {
            assert!(Kind::Text.accepts(text), "{text}");
            assert!(!Kind::Integer.accepts(text), "{text}");
        }
        for boolean in ["boolean", "bool", "tinyint", "bit"] {
            assert!(Kind::Boolean.accepts(boolean), "{boolean}");
        }
        assert!(!Kind::Boolean.accepts("character varying"));
        for timestamp in ["timestamp with time zone", "datetime", "timestamp", "text"] {
            assert!(Kind::Timestamp.accepts(timestamp), "{timestamp}");
        }
        assert!(!Kind::Timestamp.accepts("bigint"));
        assert!(!Kind::Integer.accepts("jsonb"));
        assert!(!Kind::Integer.accepts("interval"));
        assert!(!Kind::Integer.accepts("point"));
    }
}
