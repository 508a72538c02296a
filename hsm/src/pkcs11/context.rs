//! The PKCS#11 module, loaded and initialised once per process.
//!
//! PKCS#11 v2.40 §5.4: `C_Initialize` is called once per application;
//! every session, login and object handle belongs to that one initialised
//! library. So the context is a process-wide singleton per module path,
//! shared by the signer pool, the key administration API and tests, and
//! never finalised while the process runs.

use super::error::HsmError;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::slot::Slot;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

static MODULES: Mutex<Vec<(PathBuf, Pkcs11)>> = Mutex::new(Vec::new());

/// Held around every slot-list enumeration and token initialisation in this
/// process. SoftHSM 2 rescans its token directory in `C_GetSlotList` and
/// adds a slot in `C_InitToken` without locking the two against each other:
/// a signer pool looking for its token while a test initialises another one
/// could insert the new token twice and abort on SoftHSM's
/// `SlotManager::insertToken` assertion.
pub(crate) static SLOT_LIST_LOCK: Mutex<()> = Mutex::new(());

/// The initialised module at `path` (loaded on first use).
pub fn module(path: &Path) -> Result<Pkcs11, HsmError> {
    let mut modules = MODULES.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, ctx)) = modules.iter().find(|(p, _)| p == path) {
        return Ok(ctx.clone());
    }
    let ctx = Pkcs11::new(path).map_err(|e| HsmError::Module {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    // OS locking: the library may be called from several worker threads.
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => {
            return Err(HsmError::Module {
                path: path.display().to_string(),
                reason: format!("C_Initialize: {e}"),
            });
        }
    }
    modules.push((path.to_path_buf(), ctx.clone()));
    Ok(ctx)
}

/// The slot holding the initialised token labelled `label`.
pub fn find_token(ctx: &Pkcs11, label: &str) -> Result<Slot, HsmError> {
    let _guard = SLOT_LIST_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let slots = ctx
        .get_slots_with_initialized_token()
        .map_err(|e| HsmError::pkcs11("C_GetSlotList", &e))?;
    for slot in slots {
        let info = ctx
            .get_token_info(slot)
            .map_err(|e| HsmError::pkcs11("C_GetTokenInfo", &e))?;
        if info.label().trim_end() == label {
            return Ok(slot);
        }
    }
    Err(HsmError::TokenNotFound(label.to_string()))
}
