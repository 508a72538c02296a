//! What a configuration section managed live is: the small trait each one
//! implements ([`Section`]: its name, where the file holds it, how to read
//! it from and put it into a [`Config`]; [`ListSection`] for a section
//! that is a list of items with a key), and its type-erased form
//! ([`DynSection`]) the snapshot holds every registered section through.

use crate::config::Config;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::any::Any;
use std::fmt::Debug;
use std::marker::PhantomData;
use std::sync::Arc;

/// One bad member of a value written through the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The member's name (`jwks_uri`), a dotted field of the whole
    /// configuration when the problem is elsewhere (`login.interaction_app`),
    /// or `""` for the body as a whole.
    pub field: String,
    /// What is wrong: the start-up check's message; never the value.
    pub message: String,
}

impl FieldProblem {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A configuration section the file seeds and the store may override as a
/// whole (`model/section_document.rs`).
pub trait Section: Send + Sync + 'static {
    /// Its store id and name in `GET /effective-config`'s `sections`.
    const NAME: &'static str;
    /// Its dotted path in the file (`registration.trusted_directories`):
    /// the prefix of the start-up checks' field names.
    const PATH: &'static str;
    /// The section's value.
    type Value: Serialize + DeserializeOwned + Clone + PartialEq + Debug + Send + Sync + 'static;
    /// The value `config` holds.
    fn of(config: &Config) -> Self::Value;
    /// Puts `value` into `config`.
    fn set(config: &mut Config, value: Self::Value);
    /// The section's own rules for a value written through the API, beyond
    /// the start-up checks (`before`: the value in force).
    fn api_problems(_before: &Self::Value, _after: &Self::Value) -> Vec<FieldProblem> {
        Vec::new()
    }
}

/// A section that is a list of items, each named by a key member.
pub trait ListSection: Section {
    /// One item.
    type Item: Serialize + DeserializeOwned + Clone + PartialEq + Debug + Send + Sync + 'static;
    /// The value's items, in order.
    fn items(value: &Self::Value) -> &[Self::Item];
    /// The value of these items.
    fn value_of(items: Vec<Self::Item>) -> Self::Value;
    /// The key member's name (`issuer`, `id`).
    const KEY: &'static str;
    /// What an item is called in messages (`trusted directory`).
    const ITEM: &'static str;
    /// An item's kind as an audit record's target (`trusted_directory`).
    const TARGET: &'static str;
    /// The item's key.
    fn key(item: &Self::Item) -> &str;
    /// A valid item, the stand-in for members a body does not give, so
    /// that each given member is checked on its own; its key names no real
    /// item.
    fn template() -> Map<String, Value>;
}

/// A section's value, type-erased.
pub type AnyValue = Arc<dyn Any + Send + Sync>;

/// A [`Section`] as the snapshot handles every section alike.
pub trait DynSection: Send + Sync {
    /// [`Section::NAME`].
    fn name(&self) -> &'static str;
    /// The file's value.
    fn of_file(&self, config: &Config) -> AnyValue;
    /// A stored document's value.
    fn decode(&self, json: &str) -> Result<AnyValue, serde_json::Error>;
    /// Puts `value` (of this section) into `config`.
    fn apply(&self, config: &mut Config, value: &AnyValue);
    /// `value` as JSON.
    fn to_json(&self, value: &AnyValue) -> Value;
}

/// The [`DynSection`] of `S`.
pub struct Erased<S>(PhantomData<S>);

impl<S> Erased<S> {
    /// The erased form of `S`.
    pub const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<S> Default for Erased<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Section> DynSection for Erased<S> {
    fn name(&self) -> &'static str {
        S::NAME
    }

    fn of_file(&self, config: &Config) -> AnyValue {
        Arc::new(S::of(config))
    }

    fn decode(&self, json: &str) -> Result<AnyValue, serde_json::Error> {
        Ok(Arc::new(serde_json::from_str::<S::Value>(json)?))
    }

    fn apply(&self, config: &mut Config, value: &AnyValue) {
        if let Some(value) = value.downcast_ref::<S::Value>() {
            S::set(config, value.clone());
        }
    }

    fn to_json(&self, value: &AnyValue) -> Value {
        value
            .downcast_ref::<S::Value>()
            .and_then(|v| serde_json::to_value(v).ok())
            .unwrap_or(Value::Null)
    }
}
