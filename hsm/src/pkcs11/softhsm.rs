//! SoftHSM, the PKCS#11 token of development, tests and the sandbox.
//!
//! SoftHSM reads the file named by `SOFTHSM2_CONF` when the module is
//! initialised; it names the directory tokens live in. [`ensure_softhsm_conf`]
//! writes that file (and the directory) if it is missing; [`init_token`]
//! initialises a token on the free slot SoftHSM always offers; [`new_token`]
//! makes one with a unique label, so each test gets its own token and no test
//! sees another's keys.

use super::context;
use super::error::HsmError;
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// Where Debian and others install the SoftHSM module.
pub const SOFTHSM_MODULE_PATHS: &[&str] = &[
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
];

/// The SoftHSM module on this machine, if installed.
pub fn softhsm_module() -> Option<PathBuf> {
    SOFTHSM_MODULE_PATHS
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// A token made for one test or one sandbox.
#[derive(Debug, Clone)]
pub struct SoftHsmToken {
    /// The PKCS#11 module.
    pub module: PathBuf,
    /// The token label.
    pub label: String,
    /// The user PIN (test tokens only; real PINs never live in code).
    pub user_pin: String,
}

/// Writes the SoftHSM configuration named by `SOFTHSM2_CONF` (and its token
/// directory) when the file does not exist yet. Returns the file.
pub fn ensure_softhsm_conf() -> Result<PathBuf, HsmError> {
    let conf = std::env::var_os("SOFTHSM2_CONF")
        .map(PathBuf::from)
        .ok_or_else(|| setup_error("SOFTHSM2_CONF is not set (cargo sets it from .cargo/config.toml)"))?;
    if conf.is_file() {
        return Ok(conf);
    }
    let dir = conf.parent().unwrap_or(Path::new("."));
    let tokens = dir.join("tokens");
    std::fs::create_dir_all(&tokens).map_err(|e| setup_error(&format!("{}: {e}", tokens.display())))?;
    let text = format!(
        "# Written by fiducia-hsm for development and tests.\ndirectories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
        std::path::absolute(&tokens).unwrap_or(tokens).display()
    );
    std::fs::write(&conf, text).map_err(|e| setup_error(&format!("{}: {e}", conf.display())))?;
    Ok(conf)
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Initialises a new SoftHSM token labelled `<prefix>-<pid>-<n>` with the
/// given user PIN (test tokens only).
pub fn new_token(prefix: &str, user_pin: &str) -> Result<SoftHsmToken, HsmError> {
    let label = format!(
        "{prefix}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    init_token(&label, user_pin)
}

/// Initialises a SoftHSM token labelled `label` with `user_pin` on the free
/// slot. The SO PIN is random and forgotten: nobody re-initialises these
/// tokens, they are deleted instead.
pub fn init_token(label: &str, user_pin: &str) -> Result<SoftHsmToken, HsmError> {
    let module = softhsm_module()
        .ok_or_else(|| setup_error("SoftHSM is not installed: run `sudo apt-get install -y softhsm2`"))?;
    ensure_softhsm_conf()?;
    let ctx = context::module(&module)?;
    let guard = context::SLOT_LIST_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let label = label.to_string();
    let free = ctx
        .get_slots_with_token()
        .map_err(|e| HsmError::pkcs11("C_GetSlotList", &e))?
        .into_iter()
        .find(|slot| {
            ctx.get_token_info(*slot)
                .map(|info| !info.token_initialized())
                .unwrap_or(false)
        })
        .ok_or_else(|| setup_error("SoftHSM offers no free slot"))?;
    let so_pin = random_pin()?;
    ctx.init_token(free, &AuthPin::new(so_pin.clone().into()), &label)
        .map_err(|e| HsmError::pkcs11("C_InitToken", &e))?;
    drop(guard);
    let slot = context::find_token(&ctx, &label)?;
    let session = ctx
        .open_rw_session(slot)
        .map_err(|e| HsmError::pkcs11("C_OpenSession", &e))?;
    session
        .login(UserType::So, Some(&AuthPin::new(so_pin.into())))
        .map_err(|e| HsmError::pkcs11("C_Login(SO)", &e))?;
    session
        .init_pin(&AuthPin::new(user_pin.into()))
        .map_err(|e| HsmError::pkcs11("C_InitPIN", &e))?;
    session.logout().map_err(|e| HsmError::pkcs11("C_Logout", &e))?;
    Ok(SoftHsmToken {
        module,
        label,
        user_pin: user_pin.to_string(),
    })
}

/// A random 32-character hex PIN.
pub fn random_pin() -> Result<String, HsmError> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| setup_error("random generator failed"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn setup_error(reason: &str) -> HsmError {
    HsmError::Module {
        path: "softhsm".into(),
        reason: reason.into(),
    }
}

/// Closes every session of this process on the token `label`, through a
/// second handle to the module (`C_CloseAllSessions`, PKCS#11 v2.40 §5.6),
/// as an operator tool or a crashed co-tenant might: the signer pool must
/// recover. cryptoki has no safe wrapper for it.
pub fn close_all_sessions(module: &Path, label: &str) -> Result<(), HsmError> {
    let ctx = context::module(module)?;
    let slot = context::find_token(&ctx, label)?;
    let module_error = |reason: String| HsmError::Module {
        path: module.display().to_string(),
        reason,
    };
    // SAFETY: dlopen of the already-loaded module returns the same library,
    // initialised by `context::module` above; C_CloseAllSessions takes a slot
    // id by value and touches no memory of ours. The handle lives until the
    // call returns; dropping it only decrements the dlopen reference count.
    #[allow(unsafe_code)]
    let rv = unsafe {
        let raw = cryptoki_sys::Pkcs11::new(module).map_err(|e| module_error(e.to_string()))?;
        raw.C_CloseAllSessions(slot.id())
    };
    if rv == cryptoki_sys::CKR_OK {
        Ok(())
    } else {
        Err(module_error(format!("C_CloseAllSessions returned {rv:#x}")))
    }
}
