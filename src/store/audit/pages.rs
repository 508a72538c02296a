//! Reading a key range of the trail a page at a time, one transaction per
//! page, so that neither a long chain nor a slow reader holds one
//! transaction open (the store bounds a transaction's reads and age).

use crate::store::kv::{KeyRange, KvError, RangeOptions, Store};

/// Pairs read per transaction.
pub const PAGE: usize = 1000;

/// Hands every (key, value) of `range` to `each_page`, in key order, one
/// page at a time.
pub async fn for_each_page(
    store: &Store,
    range: KeyRange,
    mut each_page: impl FnMut(Vec<(Vec<u8>, Vec<u8>)>) -> Result<(), KvError>,
) -> Result<(), KvError> {
    let mut begin = range.begin.clone();
    loop {
        let page_range = KeyRange::new(begin.clone(), range.end.clone());
        let page = store
            .run(|tx, _| {
                let page_range = page_range.clone();
                async move { tx.get_range(&page_range, RangeOptions::limit(PAGE)).await }
            })
            .await?;
        let full = page.len() == PAGE;
        if let Some((key, _)) = page.last() {
            begin = key.clone();
            begin.push(0);
        }
        each_page(page)?;
        if !full {
            return Ok(());
        }
    }
}
