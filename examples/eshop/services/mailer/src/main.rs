//! Mailer: sends the e-shop's mails.

use std::sync::Mutex;

use coworks::prelude::*;

/// A mail to send.
#[derive(Clone, Serialize, Deserialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Values to fill a template with.
#[derive(Deserialize)]
pub struct TemplateValues {
    pub to: String,
    pub values: std::collections::BTreeMap<String, String>,
}

/// Sends mails through the stage's SMTP relay.
#[derive(Default)]
pub struct Mailer {
    outbox: Mutex<Vec<Mail>>,
}

/// Sends the e-shop's mails, plain or from templates.
#[coworks::service]
impl Mailer {
    /// Queues a mail (`POST /send`: a name without a verb is a POST).
    #[entry]
    async fn send(&self, #[body] mail: Mail) -> Result<StatusCode, Error> {
        self.outbox.lock().map_err(|_| Error::internal("lock"))?.push(mail);
        Ok(StatusCode::ACCEPTED)
    }

    /// Fills template `name` and queues the mail.
    #[entry]
    async fn post_template(&self, name: String, #[body] values: TemplateValues) -> Result<StatusCode, Error> {
        // One buffer grown in place: linear in the size of the values (re-formatting the whole
        // text for each value made large requests quadratic).
        let mut body = format!("template {name}");
        for (k, v) in &values.values {
            body.extend(["\n", k, ": ", v]);
        }
        let mail = Mail { to: values.to, subject: name, body };
        self.send(mail).await
    }

    /// The mails queued so far (not in production).
    #[entry(stages = ["dev", "test"])]
    fn get_outbox(&self) -> Json<Vec<Mail>> {
        Json(self.outbox.lock().map(|o| o.clone()).unwrap_or_default())
    }

    /// Liveness probe: no token needed.
    #[entry(no_auth)]
    fn get_health(&self) -> &'static str {
        "ok"
    }
}

fn main() {
    coworks::serve(Mailer::default());
}
