//! llm-lifecycle: LLM model lifecycle as a compile-time fact.
//!
//! This crate compiles its `models.toml` (the catalogue of every provider's
//! models, which are deprecated and which are deleted) into a typed API:
//!
//! - [`LlmModel`] and [`Provider`]: one variant per live model and per provider,
//!   with their metadata ([`LlmModel::id`], [`LlmModel::token_limit`],
//!   [`LlmModel::replacement`], [`Provider::default_model`], …) read from static
//!   tables;
//! - deprecated variants carry `#[deprecated]`: every use is a compiler warning
//!   naming the replacement;
//! - [`model!`] checks an id at compile time: a deleted or unknown id is a
//!   compile error naming the replacement or the closest ids;
//! - [`CATALOG`]: the whole catalogue, deleted entries and `[[references]]`
//!   included, which the `apply-models` binary applies to the database.
//!
//! ```
//! use llm_lifecycle::{LlmModel, Provider, model};
//!
//! let model = model!("openai/gpt-4.1");
//! assert_eq!(model, LlmModel::OpenaiGpt4_1);
//! assert_eq!(model.id(), "openai/gpt-4.1");
//! assert_eq!(model.name(), "gpt-4.1");
//! assert_eq!(model.provider(), Provider::Openai);
//! assert_eq!(model.token_limit(), 1_000_000);
//! assert_eq!(model.to_string(), "openai/gpt-4.1");
//! assert_eq!(Provider::Openai.default_model(), LlmModel::OpenaiGpt4_1Mini);
//!
//! // Ids parse back; a deleted id is an error that names its replacement…
//! assert_eq!("openai/gpt-4.1".parse::<LlmModel>(), Ok(LlmModel::OpenaiGpt4_1));
//! let error = "openai/gpt-4-turbo".parse::<LlmModel>().unwrap_err();
//! assert_eq!(
//!     error.to_string(),
//!     "LLM model `openai/gpt-4-turbo` has been deleted: use `openai/gpt-4.1` instead"
//! );
//! // …which `parse_lenient` follows.
//! assert_eq!(LlmModel::parse_lenient("openai/gpt-4-turbo"), Ok(LlmModel::OpenaiGpt4_1));
//!
//! // Deprecated models stay usable, with a warning at every use.
//! #[allow(deprecated)]
//! let old = LlmModel::OpenaiGpt4_1Nano;
//! assert!(old.is_deprecated());
//! assert_eq!(old.replacement(), Some(LlmModel::OpenaiGpt4_1Mini));
//! assert_eq!(old.resolve(), LlmModel::OpenaiGpt4_1Mini);
//!
//! // The runtime takes the whole catalogue.
//! assert_eq!(llm_lifecycle::CATALOG.providers.len(), Provider::ALL.len());
//! ```
//!
//! Without `#[allow(deprecated)]`, the use of `LlmModel::OpenaiGpt4_1Nano` above
//! warns:
//!
//! ```text
//! warning: use of deprecated unit variant `llm_lifecycle::LlmModel::OpenaiGpt4_1Nano`:
//!          openai/gpt-4.1-nano is deprecated: use openai/gpt-4.1-mini
//! ```
//!
//! and `model!("openai/gpt-4-turbo")` does not compile:
//!
//! ```compile_fail
//! let model = llm_lifecycle::model!("openai/gpt-4-turbo");
//! // error: `openai/gpt-4-turbo` has been deleted from models.toml: use `model!("openai/gpt-4.1")` instead
//! ```
//!
//! # Features
//!
//! - `runtime`: `llm_lifecycle::runtime`, the crate `llm-lifecycle-runtime`
//!   (plan, apply, prune, notify, and the `apply-models` command line as
//!   `runtime::cli::main`). It needs a backend: enable one of the three below,
//!   each of which implies it.
//! - `postgres`, `sqlite`, `mysql`: the runtime's backends (PostgreSQL 13+,
//!   SQLite, MySQL 8 / MariaDB 10.11).
//! - `cli`: this crate's `apply-models` binary, over the catalogue compiled
//!   into it (implies `runtime`; needs a backend).
//! - `serde`: `Serialize`/`Deserialize` for [`LlmModel`] (as its id) and
//!   [`Provider`] (as its key); deserializing a deleted id fails naming the
//!   replacement.
//! - `diesel`: [`LlmModel`] as a diesel `Text` value on any backend.
//!
//! `serde` and `diesel` apply to this crate's enums and to those of every
//! catalogue compiled by [`catalog!`]. The default features are `cli`,
//! `postgres`, `sqlite` and `mysql`, so that `cargo run --bin apply-models`
//! works in this repository. A library that only wants the enums depends on
//! `llm-lifecycle = { version = "0.1", default-features = false }`: its
//! dependency tree then holds the catalogue parser and the proc macros, and no
//! clap, indicatif, diesel or tokio.
//!
//! # Your own catalogue
//!
//! A host application compiles its own `models.toml` with [`catalog!`]; its
//! `Cargo.toml` names this crate only (add `features = ["serde"]`, `["diesel"]`,
//! or a backend for its own `apply-models`, as needed):
//!
//! ```toml
//! [dependencies]
//! llm-lifecycle = { version = "0.1", default-features = false }
//! ```
//!
//! and its crate root (`src/lib.rs` or `src/main.rs`) holds one line:
//!
//! ```
//! llm_lifecycle::catalog!("models.toml");
//! # fn main() {
//!
//! let model = model!("openai/gpt-4.1");
//! assert_eq!(model, LlmModel::OpenaiGpt4_1);
//! assert_eq!(CATALOG.providers.len(), Provider::ALL.len());
//! # }
//! ```
//!
//! That defines `LlmModel`, `Provider`, `CATALOG` and `model!` in the host's
//! crate, from its file (see [`catalog!`], and [`catalog`](mod@catalog) for the
//! format and validation rules). Its own `apply-models`, with
//! `features = ["postgres"]` (or `"sqlite"`, `"mysql"`), is a binary over its
//! `CATALOG`, say `src/bin/apply-models.rs` (or, when the catalogue is compiled
//! in the host's library, the same `main` over `&my_app::CATALOG`):
//!
//! ```no_run
//! llm_lifecycle::catalog!("models.toml");
//!
//! # #[cfg(feature = "runtime")]
//! fn main() -> std::process::ExitCode {
//!     llm_lifecycle::runtime::cli::main(&CATALOG)
//! }
//! # #[cfg(not(feature = "runtime"))]
//! # fn main() {}
//! ```
#![forbid(unsafe_code)]

pub use llm_lifecycle_catalog as catalog;
pub use llm_lifecycle_catalog::generated_support::ParseModelError;
/// The diesel runtime: plan, apply, prune, notify and the `apply-models`
/// command line ([`runtime::cli::main`] takes a [`CATALOG`]).
#[cfg(feature = "runtime")]
pub use llm_lifecycle_runtime as runtime;

/// Compiles a model catalogue into the typed API, at the root of the calling
/// crate: `llm_lifecycle::catalog!("models.toml")`.
///
/// The path is relative to the calling crate's directory (its
/// `CARGO_MANIFEST_DIR`). The expansion defines what this crate defines from
/// its own `models.toml`: `enum Provider`, `enum LlmModel` (deprecated
/// variants marked `#[deprecated]`, naming the replacement), their methods and
/// `Display`/`FromStr`, `static CATALOG` (the whole catalogue, for
/// [`runtime`](crate#features)) and `model!("provider/name")`, checked at
/// compile time. With this crate's `serde` or `diesel` feature, the enums get
/// that support too; the calling crate declares no feature of its own.
///
/// An invalid catalogue is one compile error per problem, rendered
/// `models.toml:LINE:COL: message` with the offending line and a fix hint.
///
/// The generated code names this crate as `$crate` (whatever the calling
/// crate's `Cargo.toml` calls it), so `llm-lifecycle` is the only dependency
/// it needs; `llm_lifecycle_macros::catalog!` called directly is an error
/// saying so.
#[macro_export]
macro_rules! catalog {
    ($($input:tt)*) => {
        $crate::__private::catalog! { crate = $crate, $($input)* }
    };
}

catalog!("models.toml");

/// What the code generated by [`catalog!`] names, as `$crate::__private::…`.
#[doc(hidden)]
pub mod __private {
    pub use llm_lifecycle_catalog as catalog;
    pub use llm_lifecycle_macros::__model_fallback as model_fallback;
    pub use llm_lifecycle_macros::catalog;

    pub use crate::{__diesel_impls as diesel_impls, __serde_impls as serde_impls};

    #[cfg(feature = "diesel")]
    pub use diesel;
    #[cfg(feature = "serde")]
    pub use serde;
}

/// `serde_impls! { LlmModel Provider "models.toml" }`: `Serialize` and
/// `Deserialize` for a generated model enum (as its id) and provider enum (as
/// its key). Expands to nothing without the `serde` feature.
#[cfg(feature = "serde")]
#[doc(hidden)]
#[macro_export]
macro_rules! __serde_impls {
    ($model:ident $provider:ident $origin:literal) => {
        impl $crate::__private::serde::Serialize for $model {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.id())
            }
        }
        impl<'de> $crate::__private::serde::Deserialize<'de> for $model {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::core::result::Result<Self, D::Error> {
                let id = <::std::borrow::Cow<'de, ::core::primitive::str> as $crate::__private::serde::Deserialize<'de>>::deserialize(deserializer)?;
                id.parse()
                    .map_err(<D::Error as $crate::__private::serde::de::Error>::custom)
            }
        }
        impl $crate::__private::serde::Serialize for $provider {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.key())
            }
        }
        impl<'de> $crate::__private::serde::Deserialize<'de> for $provider {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::core::result::Result<Self, D::Error> {
                let key = <::std::borrow::Cow<'de, ::core::primitive::str> as $crate::__private::serde::Deserialize<'de>>::deserialize(deserializer)?;
                $provider::from_key(&key).ok_or_else(|| {
                    <D::Error as $crate::__private::serde::de::Error>::custom(::std::format!(
                        "unknown LLM provider `{}`: use a provider key declared in {}",
                        key,
                        $origin
                    ))
                })
            }
        }
    };
}

/// See the `serde` version: nothing without the feature.
#[cfg(not(feature = "serde"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __serde_impls {
    ($($input:tt)*) => {};
}

/// `diesel_impls! { LlmModel }`: a generated model enum as diesel's `Text` (its
/// id) on every backend, as `#[derive(AsExpression, FromSqlRow)]
/// #[diesel(sql_type = Text)]` plus `ToSql`/`FromSql` would make it (the
/// derives name a crate `diesel` in the calling crate, which it may not have).
/// Expands to nothing without the `diesel` feature.
#[cfg(feature = "diesel")]
#[doc(hidden)]
#[macro_export]
macro_rules! __diesel_impls {
    ($model:ident) => {
        const _: () = {
            use $crate::__private::diesel as d;
            type Text = d::sql_types::Text;
            type NullableText = d::sql_types::Nullable<d::sql_types::Text>;
            type Str = &'static ::core::primitive::str;

            impl d::expression::AsExpression<Text> for $model {
                type Expression = <Str as d::expression::AsExpression<Text>>::Expression;
                fn as_expression(self) -> Self::Expression {
                    <Str as d::expression::AsExpression<Text>>::as_expression(self.id())
                }
            }
            impl d::expression::AsExpression<NullableText> for $model {
                type Expression = <Str as d::expression::AsExpression<NullableText>>::Expression;
                fn as_expression(self) -> Self::Expression {
                    <Str as d::expression::AsExpression<NullableText>>::as_expression(self.id())
                }
            }
            impl<'a> d::expression::AsExpression<Text> for &'a $model {
                type Expression = <Str as d::expression::AsExpression<Text>>::Expression;
                fn as_expression(self) -> Self::Expression {
                    <Str as d::expression::AsExpression<Text>>::as_expression(self.id())
                }
            }
            impl<'a> d::expression::AsExpression<NullableText> for &'a $model {
                type Expression = <Str as d::expression::AsExpression<NullableText>>::Expression;
                fn as_expression(self) -> Self::Expression {
                    <Str as d::expression::AsExpression<NullableText>>::as_expression(self.id())
                }
            }
            impl<'a, 'b> d::expression::AsExpression<Text> for &'a &'b $model {
                type Expression = <Str as d::expression::AsExpression<Text>>::Expression;
                fn as_expression(self) -> Self::Expression {
                    <Str as d::expression::AsExpression<Text>>::as_expression(self.id())
                }
            }
            impl<'a, 'b> d::expression::AsExpression<NullableText> for &'a &'b $model {
                type Expression = <Str as d::expression::AsExpression<NullableText>>::Expression;
                fn as_expression(self) -> Self::Expression {
                    <Str as d::expression::AsExpression<NullableText>>::as_expression(self.id())
                }
            }
            impl<DB> d::serialize::ToSql<Text, DB> for $model
            where
                DB: d::backend::Backend,
                ::core::primitive::str: d::serialize::ToSql<Text, DB>,
            {
                fn to_sql<'b>(
                    &'b self,
                    out: &mut d::serialize::Output<'b, '_, DB>,
                ) -> d::serialize::Result {
                    <::core::primitive::str as d::serialize::ToSql<Text, DB>>::to_sql(
                        self.id(),
                        out,
                    )
                }
            }
            impl<DB> d::serialize::ToSql<NullableText, DB> for $model
            where
                DB: d::backend::Backend,
                Self: d::serialize::ToSql<Text, DB>,
            {
                fn to_sql<'b>(
                    &'b self,
                    out: &mut d::serialize::Output<'b, '_, DB>,
                ) -> d::serialize::Result {
                    <Self as d::serialize::ToSql<Text, DB>>::to_sql(self, out)
                }
            }
            impl<DB> d::deserialize::FromSql<Text, DB> for $model
            where
                DB: d::backend::Backend,
                ::std::string::String: d::deserialize::FromSql<Text, DB>,
            {
                fn from_sql(
                    bytes: <DB as d::backend::Backend>::RawValue<'_>,
                ) -> d::deserialize::Result<Self> {
                    let id =
                        <::std::string::String as d::deserialize::FromSql<Text, DB>>::from_sql(
                            bytes,
                        )?;
                    ::core::result::Result::Ok(id.parse::<$model>()?)
                }
            }
            impl<DB, ST> d::deserialize::Queryable<ST, DB> for $model
            where
                DB: d::backend::Backend,
                ST: d::sql_types::SingleValue,
                Self: d::deserialize::FromSql<ST, DB>,
            {
                type Row = Self;
                fn build(row: Self) -> d::deserialize::Result<Self> {
                    ::core::result::Result::Ok(row)
                }
            }
        };
    };
}

/// See the `diesel` version: nothing without the feature.
#[cfg(not(feature = "diesel"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __diesel_impls {
    ($($input:tt)*) => {};
}

/// The README's Rust examples, compiled and run as doctests (its `sh`, `toml`
/// and `text` blocks are not Rust and are left alone).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
