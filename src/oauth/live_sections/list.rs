//! The operations on a list section's items, for the Config API's routes
//! of such a section: list, read, create, update and delete one item
//! (`If-Match` with the item's ETag), and reset the section to the file's
//! (`If-Match` with the list's). Each write is one `LiveSections::write`:
//! the whole section goes into the store's document (the document rules
//! the section from then on, README "Sections managed live").

use super::error::SectionError;
use super::etag::{if_match_matches, of_item};
use super::section::{ListSection, Section};
use super::snapshot::{LiveSections, Source};
use super::transaction::{Current, Decision};
use super::validate;
use crate::oauth::managed_clients::changes::changed_members;
use crate::store::audit::{Change, Target};
use serde::Serialize;
use serde_json::{Map, Value};

/// One item as listed and read.
#[derive(Debug, Clone, Serialize)]
pub struct ItemView<I> {
    /// `file` when the file's section holds this very item, `store` when
    /// an operator's document added or changed it.
    pub source: Source,
    /// Its strong ETag (RFC 9110 §8.8.3), for `If-Match`.
    pub etag: String,
    /// The item.
    pub item: I,
}

/// The section as listed.
#[derive(Debug, Clone, Serialize)]
pub struct ListView<I> {
    /// Where the section in force comes from.
    pub source: Source,
    /// Its document's revision (0: never changed).
    pub revision: u64,
    /// The list's strong ETag, for `If-Match` on a reset.
    pub etag: String,
    /// Every item, in order.
    pub items: Vec<ItemView<I>>,
}

impl LiveSections {
    /// The items of `S` as the store holds them.
    pub async fn list_items<S: ListSection>(&self) -> Result<ListView<S::Item>, SectionError> {
        let current = self.read::<S>().await?;
        Ok(self.list_view::<S>(&current))
    }

    /// One item of `S`.
    pub async fn get_item<S: ListSection>(&self, key: &str) -> Result<ItemView<S::Item>, SectionError> {
        let current = self.read::<S>().await?;
        self.list_view::<S>(&current)
            .items
            .into_iter()
            .find(|v| S::key(&v.item) == key)
            .ok_or(SectionError::NotFound)
    }

    fn list_view<S: ListSection>(&self, current: &Current<S>) -> ListView<S::Item> {
        let file = S::of(self.file());
        let in_file = |item: &S::Item| S::items(&file).iter().any(|f| f == item);
        ListView {
            source: current.source,
            revision: current.revision,
            etag: current.etag(),
            items: S::items(&current.value)
                .iter()
                .map(|item| ItemView {
                    source: match current.source == Source::File || in_file(item) {
                        true => Source::File,
                        false => Source::Store,
                    },
                    etag: of_item(item),
                    item: item.clone(),
                })
                .collect(),
        }
    }

    /// Adds the item `body` describes (a section item's members); refused
    /// when its key exists.
    pub async fn create_item<S: ListSection>(
        &self,
        operator: &str,
        body: &Value,
    ) -> Result<ItemView<S::Item>, SectionError> {
        let given = member_names(body);
        self.write::<S, _>(operator, |current, base| {
            let items = S::items(&current.value);
            let named = body.get(S::KEY).and_then(Value::as_str);
            if named.is_some_and(|key| items.iter().any(|i| S::key(i) == key)) {
                return Err(SectionError::Conflict);
            }
            let item = validate::item::<S>(base, items, None, body, None).map_err(SectionError::Invalid)?;
            let mut list = items.to_vec();
            list.push(item.clone());
            Ok(Decision::Write {
                value: Some(S::value_of(list)),
                targets: vec![Target::new(S::TARGET, S::key(&item))],
                changed: given.iter().map(|m| Change::member(m)).collect(),
            })
        })
        .await?;
        // The body passed the checks, so it names its key.
        let key = body.get(S::KEY).and_then(Value::as_str).unwrap_or_default();
        self.get_item::<S>(key).await
    }

    /// Replaces item `key` with `body` (its key member may be left out)
    /// when `if_match` names its current ETag (RFC 9110 §13.1.1).
    pub async fn update_item<S: ListSection>(
        &self,
        operator: &str,
        key: &str,
        if_match: Option<&str>,
        body: &Value,
    ) -> Result<ItemView<S::Item>, SectionError> {
        let if_match = if_match.ok_or(SectionError::PreconditionRequired)?;
        self.write::<S, _>(operator, |current, base| {
            let items = S::items(&current.value);
            let position = precondition::<S>(items, key, if_match)?;
            let item = validate::item::<S>(base, items, Some(position), body, Some(key))
                .map_err(SectionError::Invalid)?;
            let changed = changed_members(&object(&items[position]), &object(&item));
            if changed.is_empty() {
                return Ok(Decision::Unchanged);
            }
            let mut list = items.to_vec();
            list[position] = item;
            Ok(Decision::Write {
                value: Some(S::value_of(list)),
                targets: vec![Target::new(S::TARGET, key)],
                changed: changed.iter().map(|m| Change::member(m)).collect(),
            })
        })
        .await?;
        self.get_item::<S>(key).await
    }

    /// Removes item `key` when `if_match` names its current ETag; refused
    /// when the rest of the configuration needs it (the start-up checks).
    pub async fn delete_item<S: ListSection>(
        &self,
        operator: &str,
        key: &str,
        if_match: Option<&str>,
    ) -> Result<(), SectionError> {
        let if_match = if_match.ok_or(SectionError::PreconditionRequired)?;
        self.write::<S, _>(operator, |current, _| {
            let items = S::items(&current.value);
            let position = precondition::<S>(items, key, if_match)?;
            let mut list = items.to_vec();
            list.remove(position);
            Ok(Decision::Write {
                value: Some(S::value_of(list)),
                targets: vec![Target::new(S::TARGET, key)],
                changed: vec![Change::state("state", Some("present"), "deleted")],
            })
        })
        .await?;
        Ok(())
    }

    /// Puts the file's section back in force (the document keeps only its
    /// revision) when `if_match` names the list's current ETag.
    pub async fn reset<S: Section>(
        &self,
        operator: &str,
        if_match: Option<&str>,
    ) -> Result<Current<S>, SectionError> {
        let if_match = if_match.ok_or(SectionError::PreconditionRequired)?;
        self.write::<S, _>(operator, |current, _| {
            let etag = current.etag();
            if !if_match_matches(if_match, &etag) {
                return Err(SectionError::PreconditionFailed { current: etag });
            }
            if current.source == Source::File {
                return Ok(Decision::Unchanged);
            }
            Ok(Decision::Write {
                value: None,
                targets: Vec::new(),
                changed: vec![Change::state("source", Some("store"), "file")],
            })
        })
        .await
    }
}

/// The position of item `key` when `if_match` names its ETag.
fn precondition<S: ListSection>(items: &[S::Item], key: &str, if_match: &str) -> Result<usize, SectionError> {
    let position = items
        .iter()
        .position(|i| S::key(i) == key)
        .ok_or(SectionError::NotFound)?;
    let etag = of_item(&items[position]);
    match if_match_matches(if_match, &etag) {
        true => Ok(position),
        false => Err(SectionError::PreconditionFailed { current: etag }),
    }
}

fn object<T: Serialize>(value: &T) -> Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

fn member_names(body: &Value) -> Vec<String> {
    match body {
        Value::Object(map) => {
            let mut names: Vec<String> = map.keys().cloned().collect();
            names.sort();
            names
        }
        _ => Vec::new(),
    }
}
