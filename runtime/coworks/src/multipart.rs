//! `multipart/form-data` bodies (HTML forms with file uploads): an entry's `#[body] form: Multipart`
//! reads every part of the request's body with the `multer` parser. A body that is not
//! `multipart/form-data`, or a malformed one, is a `422` naming the parameter.

use bytes::Bytes;

use crate::extract::{Input, Rejection};

/// A `multipart/form-data` body: its parts in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Multipart {
    parts: Vec<Part>,
}

/// One part of a [`Multipart`] body: a form field or an uploaded file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Part {
    /// The field name (`Content-Disposition: form-data; name=".."`).
    pub name: Option<String>,
    /// The uploaded file's name (`filename=".."`), for files.
    pub file_name: Option<String>,
    /// The part's `Content-Type`, if given.
    pub content_type: Option<String>,
    /// Its bytes.
    pub data: Bytes,
}

impl Part {
    /// The bytes as UTF-8 text, when they are.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.data).ok()
    }
}

impl Multipart {
    /// Every part, in the order sent.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }
    /// The first part named `name`.
    pub fn part(&self, name: &str) -> Option<&Part> {
        self.parts.iter().find(|p| p.name.as_deref() == Some(name))
    }
    /// The text of the field `name` (a part without a file name).
    pub fn text(&self, name: &str) -> Option<&str> {
        self.parts.iter().find(|p| p.name.as_deref() == Some(name) && p.file_name.is_none())?.text()
    }
    /// The uploaded files (parts with a file name).
    pub fn files(&self) -> impl Iterator<Item = &Part> {
        self.parts.iter().filter(|p| p.file_name.is_some())
    }
    /// The parts, taken.
    pub fn into_parts(self) -> Vec<Part> {
        self.parts
    }
}

/// Reads the body of `input` as `multipart/form-data` for the parameter `name`.
pub async fn read(input: &Input, name: &str) -> Result<Multipart, Rejection> {
    let ct = input.content_type.as_deref().unwrap_or("");
    let reject = |message: String| Rejection {
        parameter: name.to_string(),
        source: "body",
        expected: "Multipart".to_string(),
        message,
    };
    let boundary = multer::parse_boundary(ct).map_err(|e| {
        reject(format!(
            "body `{name}` must be multipart/form-data with a boundary (Content-Type `{ct}`): {e}"
        ))
    })?;
    let body = input.body.clone();
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let mut parts = Vec::new();
    loop {
        let field = form.next_field().await.map_err(|e| reject(format!("multipart body `{name}`: {e}")))?;
        let Some(field) = field else { break };
        let name_ = field.name().map(str::to_string);
        let file_name = field.file_name().map(str::to_string);
        let content_type = field.content_type().map(ToString::to_string);
        let data = field.bytes().await.map_err(|e| reject(format!("multipart body `{name}`: {e}")))?;
        parts.push(Part { name: name_, file_name, content_type, data });
    }
    Ok(Multipart { parts })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(ct: &str, body: &'static [u8]) -> Input {
        Input { content_type: Some(ct.into()), body: Bytes::from_static(body), ..Input::default() }
    }

    fn block<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().build().expect("runtime").block_on(f)
    }

    #[test]
    fn fields_and_files() {
        let body = b"--XB\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nInvoice 7\r\n--XB\r\n\
Content-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n\x00\xff\r\n--XB--\r\n";
        let form = block(read(&input("multipart/form-data; boundary=XB", body), "form")).expect("parses");
        assert_eq!(form.text("title"), Some("Invoice 7"));
        let file = form.files().next().expect("a file");
        assert_eq!((file.file_name.as_deref(), &file.data[..]), (Some("a.bin"), &[0u8, 255][..]));
        assert_eq!(file.content_type.as_deref(), Some("application/octet-stream"));
        let e = block(read(&input("application/json", b"{}"), "form")).unwrap_err();
        assert!(e.message.contains("multipart/form-data"), "{}", e.message);
        let e =
            block(read(&input("multipart/form-data; boundary=XB", b"--XB\r\nbroken"), "form")).unwrap_err();
        assert_eq!((e.parameter.as_str(), e.source), ("form", "body"));
    }
}
