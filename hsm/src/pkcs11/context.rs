//! The PKCS#11 module, loaded and initialised once per process.
//!
//! PKCS#11 v2.40 §5.4: `C_Initialize` is called once per application;
//! every session, login and object handle belongs to that one initialised
//! library. So the context is a process-wide singleton per module path,
//! shared by the signer pool, the key administration API and tests. It is
//! finalised and initialised again only to recover a token that went away
//! ([`reset`]), and only while no session of the process is open.

use super::error::HsmError;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::slot::Slot;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

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

/// Sessions of this process that are open or being opened
/// ([`SessionCount`], held by every session `TokenConfig::open_session`
/// makes). [`reset`] runs only while it is zero.
static SESSIONS: AtomicUsize = AtomicUsize::new(0);

/// When [`reset`] last finalised a module.
static LAST_RESET: Mutex<Option<Instant>> = Mutex::new(None);

/// The shortest time between two resets.
const RESET_SPACING: Duration = Duration::from_secs(3);

/// One session counted in [`SESSIONS`] from before it is opened until it
/// is dropped.
#[derive(Debug)]
pub(crate) struct SessionCount(());

impl SessionCount {
    pub(crate) fn new() -> Self {
        SESSIONS.fetch_add(1, Ordering::AcqRel);
        Self(())
    }
}

impl Drop for SessionCount {
    fn drop(&mut self) {
        SESSIONS.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Finalises the module at `path` and initialises it again (PKCS#11 v2.40
/// §5.4 `C_Finalize`, `C_Initialize`): the way back after its token went
/// away and came back, which the library otherwise keeps reporting as gone
/// (SoftHSM 2 answers every later `C_GetSlotList` with
/// `CKR_GENERAL_ERROR`). It runs only when no session of the process is
/// open or opening (a finalise would pull them from under their users),
/// with the slot list locked, and at most every [`RESET_SPACING`]; whether
/// it ran.
pub fn reset(path: &Path) -> bool {
    let mut last = LAST_RESET.lock().unwrap_or_else(|p| p.into_inner());
    if last.is_some_and(|at| at.elapsed() < RESET_SPACING) {
        return false;
    }
    let Some(ctx) = ({
        let modules = MODULES.lock().unwrap_or_else(|p| p.into_inner());
        modules
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, ctx)| ctx.clone())
    }) else {
        return false;
    };
    let _slots = SLOT_LIST_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    // Sessions count themselves before they take the slot-list lock, so
    // none can start between this check and the finalise.
    if SESSIONS.load(Ordering::Acquire) != 0 {
        return false;
    }
    *last = Some(Instant::now());
    let finalised = ctx.clone().finalize();
    let initialised = ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK));
    tracing::warn!(module = %path.display(), ?finalised, ?initialised, "PKCS#11 module reset to recover its token");
    metrics::counter!("fiducia_hsm_module_resets_total").increment(1);
    initialised.is_ok()
}
