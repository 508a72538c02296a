//! The seam where a payment consumes its consent.
//!
//! Open Banking Payment Initiation API v3.1: a single domestic payment
//! consent authorises one payment; once the payment is made the consent's
//! status becomes `Consumed` and no second payment may use it. The bank API
//! calls [`ConsentConsumer::consume`] after the ledger has committed a new
//! payment (never for a retry that found the payment by its idempotency key).
//! The OP's consent store is the one that must record the consumption;
//! until it is wired here, [`LoggingConsentConsumer`] only logs.

/// Marks a consent consumed once its payment is booked.
pub trait ConsentConsumer: Send + Sync + 'static {
    /// The payment under `consent_id`, submitted by `client_id`, is booked.
    fn consume(&self, consent_id: &str, client_id: &str);
}

/// Logs the consumption and does nothing else: the OP's consent store is
/// not told yet, so the consent stays usable at the OP.
#[derive(Debug, Default, Clone, Copy)]
pub struct LoggingConsentConsumer;

impl ConsentConsumer for LoggingConsentConsumer {
    fn consume(&self, consent_id: &str, client_id: &str) {
        tracing::info!(
            consent_id,
            client_id,
            "bank API: payment booked; consent consumption is not yet recorded at the OP"
        );
    }
}
