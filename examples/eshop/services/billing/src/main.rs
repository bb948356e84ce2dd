//! Billing: the invoices of the e-shop.

use std::sync::Mutex;

use coworks::prelude::*;

/// An invoice.
#[derive(Clone, Serialize, Deserialize)]
pub struct Invoice {
    pub id: u64,
    pub customer: String,
    pub amount_cents: u64,
}

/// What a client sends to create an invoice.
#[derive(Deserialize)]
pub struct NewInvoice {
    pub customer: String,
    pub amount_cents: u64,
}

/// Invoices of the e-shop.
#[derive(Default)]
pub struct Billing {
    invoices: Mutex<Vec<Invoice>>,
}

/// Invoices of the e-shop: create, list, fetch and print them.
#[coworks::service]
impl Billing {
    /// One invoice by its number.
    #[entry]
    async fn get_invoice(&self, id: u64, ctx: &Context) -> Result<Json<Invoice>, Error> {
        // Who read it: a debug line (`RUST_LOG=debug`), formatted only at that level.
        coworks::tracing::debug!(principal = ctx.principal(), id, "invoice read");
        let invoices = self.invoices.lock().map_err(|_| Error::internal("lock"))?;
        invoices.iter().find(|i| i.id == id).cloned().map(Json).ok_or(Error::not_found("no such invoice"))
    }

    /// A page of invoices, optionally of one customer.
    #[entry]
    async fn get_invoices(
        &self,
        #[query] page: Option<u32>,
        #[query] customer: Option<String>,
    ) -> Json<Vec<Invoice>> {
        let invoices = self.invoices.lock().map(|i| i.clone()).unwrap_or_default();
        let page = page.unwrap_or(0) as usize;
        Json(
            invoices
                .into_iter()
                .filter(|i| customer.as_ref().is_none_or(|c| &i.customer == c))
                .skip(page * 20)
                .take(20)
                .collect(),
        )
    }

    /// Creates an invoice.
    #[entry]
    async fn post_invoice(&self, #[body] new: NewInvoice) -> Result<(StatusCode, Json<Invoice>), Error> {
        let mut invoices = self.invoices.lock().map_err(|_| Error::internal("lock"))?;
        let invoice =
            Invoice { id: invoices.len() as u64 + 1, customer: new.customer, amount_cents: new.amount_cents };
        invoices.push(invoice.clone());
        Ok((StatusCode::CREATED, Json(invoice)))
    }

    /// The invoice printed as PDF.
    #[entry(binary_headers = "application/pdf")]
    fn get_invoice_pdf(&self, id: u64) -> Vec<u8> {
        format!("%PDF-1.4\n% invoice {id}\n").into_bytes()
    }

    /// Cancels an invoice.
    #[entry]
    fn delete_invoice(&self, id: u64) -> Result<(), Error> {
        let mut invoices = self.invoices.lock().map_err(|_| Error::internal("lock"))?;
        invoices.retain(|i| i.id != id);
        Ok(())
    }

    /// Liveness probe for load balancers: no token needed.
    #[entry(no_auth)]
    fn get_health(&self) -> &'static str {
        "ok"
    }

    /// Takes `seconds` (at most 60) to answer, like a long report: for trying asynchronous calls
    /// (`InvocationType: Event`), which are answered at once, where API Gateway would cut a
    /// synchronous call at 29 s. Developers only.
    #[entry(stage = "dev")]
    fn get_slow(&self, #[query] seconds: Option<u64>) -> String {
        let seconds = seconds.unwrap_or(1).min(60);
        std::thread::sleep(std::time::Duration::from_secs(seconds));
        format!("waited {seconds} s")
    }

    /// Internal state, for developers only.
    #[entry(stage = "dev")]
    fn get_debug_state(&self) -> String {
        format!("{} invoice(s)", self.invoices.lock().map(|i| i.len()).unwrap_or(0))
    }

    /// Hook run before every entry (not a route): a debug line naming the entry (`RUST_LOG=debug`).
    fn before(&self, call: &Call) {
        coworks::tracing::debug!(entry = call.entry.rust_name, "calling");
    }

    /// Hook run after every entry (not a route): how long the call took, in the `Server-Timing`
    /// header browsers' developer tools show.
    fn after(&self, call: &Call, mut answer: Response) -> Response {
        answer.headers_mut().insert(coworks::hooks::SERVER_TIMING, call.server_timing("app"));
        answer
    }
}

fn main() {
    coworks::serve(Billing::default());
}
