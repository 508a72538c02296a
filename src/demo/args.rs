//! What `fiducia demo payment`, `fiducia demo ciba-payment` and `fiducia
//! demo ekyc` are asked to do (their command lines).

use std::path::PathBuf;

/// The payment itself: what the consent names.
#[derive(Debug, Clone, clap::Args)]
pub struct PaymentOrder {
    /// The amount (Open Banking decimal text).
    #[arg(long, default_value = "10.00")]
    pub amount: String,
    /// ISO 4217 currency; the customer's account in it pays.
    #[arg(long, default_value = "EUR")]
    pub currency: String,
    /// The creditor's IBAN (another bank's by default; a sandbox
    /// customer's IBAN pays that customer).
    #[arg(long, value_name = "IBAN", default_value = "GB33BUKB20201555555555")]
    pub creditor_iban: String,
    /// The creditor's name.
    #[arg(long, value_name = "NAME", default_value = "Demo Merchant Ltd")]
    pub creditor_name: String,
    /// The payment reference (up to 35 characters).
    #[arg(long, default_value = "Fiducia demo")]
    pub reference: String,
}

/// The running sandbox, and the customer who approves in the redirect
/// demos: the scripted browser with `--user` and `--password`, else a
/// person.
#[derive(Debug, Clone, clap::Args)]
pub struct SandboxCustomer {
    /// The sandbox data directory (`fiducia sandbox --data DIR`, running).
    #[arg(long, value_name = "DIR", default_value = ".fiducia")]
    pub data: PathBuf,
    /// A sandbox customer (e.g. alice): sign in and approve without a
    /// browser. Without it the demo prints the authorization URL and waits
    /// for the code on stdin.
    #[arg(long, value_name = "USER", requires = "password")]
    pub user: Option<String>,
    /// The customer's password (or FIDUCIA_DEMO_PASSWORD).
    #[arg(
        long,
        value_name = "PASSWORD",
        env = "FIDUCIA_DEMO_PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,
}

impl SandboxCustomer {
    /// Who approves, for `authorize::redirect_back`.
    pub fn customer(&self) -> super::authorize::Customer<'_> {
        super::authorize::Customer {
            user: self.user.as_deref(),
            password: self.password.as_deref(),
            data: &self.data,
        }
    }
}

/// What `fiducia demo payment` pays and how.
#[derive(Debug, Clone, clap::Args)]
pub struct PaymentArgs {
    /// The sandbox and who approves there.
    #[command(flatten)]
    pub sandbox: SandboxCustomer,
    /// The payment.
    #[command(flatten)]
    pub order: PaymentOrder,
    /// Authorise at the bank's own login-and-consent app (the sandbox's
    /// port 8449) instead of the OP's pages: the demo plays the sandbox's
    /// client sandbox-fintech-app, which is handed to that app, instead of
    /// registering a new client.
    #[arg(long)]
    pub login_app: bool,
    /// Print a JSON summary on stdout (the step lines go to stderr).
    #[arg(long)]
    pub json: bool,
    /// Also print secrets: tokens, the PKCE verifier, the registration access token.
    #[arg(long)]
    pub verbose: bool,
}

/// What `fiducia demo ciba-payment` pays and for whom.
#[derive(Debug, Clone, clap::Args)]
pub struct CibaPaymentArgs {
    /// The sandbox data directory (`fiducia sandbox --data DIR`, running).
    #[arg(long, value_name = "DIR", default_value = ".fiducia")]
    pub data: PathBuf,
    /// The sandbox customer asked to approve (the `login_hint`, e.g. alice).
    #[arg(long, value_name = "USER")]
    pub user: String,
    /// The customer's password (or FIDUCIA_DEMO_PASSWORD): what their
    /// phone (the sandbox device) signs in with to approve.
    #[arg(
        long,
        value_name = "PASSWORD",
        env = "FIDUCIA_DEMO_PASSWORD",
        hide_env_values = true
    )]
    pub password: String,
    /// The binding message shown on the till and the phone (CIBA Core
    /// §7.1; at most 64 characters). Default: a fresh code.
    #[arg(long, value_name = "TEXT")]
    pub binding_message: Option<String>,
    /// The payment.
    #[command(flatten)]
    pub order: PaymentOrder,
    /// Print a JSON summary on stdout (the step lines go to stderr).
    #[arg(long)]
    pub json: bool,
    /// Also print secrets: tokens and the auth_req_id.
    #[arg(long)]
    pub verbose: bool,
}

/// What `fiducia demo ekyc` asks for and who approves.
#[derive(Debug, Clone, clap::Args)]
pub struct EkycArgs {
    /// The sandbox and who approves there.
    #[command(flatten)]
    pub sandbox: SandboxCustomer,
    /// Why the fintech asks (Identity Assurance `purpose`, 3 to 300
    /// characters), shown to the customer on the consent page.
    #[arg(
        long,
        value_name = "TEXT",
        default_value = "To open your account we must confirm who you are (anti-money laundering rules)"
    )]
    pub purpose: String,
    /// Print a JSON summary on stdout (the step lines go to stderr).
    #[arg(long)]
    pub json: bool,
    /// Also print secrets: tokens and the PKCE verifier.
    #[arg(long)]
    pub verbose: bool,
}
