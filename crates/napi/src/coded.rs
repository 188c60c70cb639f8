//! Errors with their code (`err.code` in JavaScript; the codes are pidns_core::error_code's),
//! also where napi takes only its own statuses: the rejection of an async task or a deferred is
//! made here, on the JavaScript thread, as a JavaScript error that keeps its code.
use napi::{Env, JsError};
use pidns_core::error_code::ErrorCode;
use pidns_core::live::client::RequestError;

pub type Error = napi::Error<ErrorCode>;
pub type Result<T> = napi::Result<T, ErrorCode>;

/// `error` as napi's own error type, for a rejection: a JavaScript error made now, with its code,
/// which napi rejects the promise with as it is.
pub fn rejection(env: Env, error: Error) -> napi::Error {
    napi::Error::from(JsError::from(error).into_unknown(env))
}

/// An error of napi's own (a failed napi call), under `code`.
pub fn from_napi(code: ErrorCode, error: napi::Error) -> Error {
    Error::new(code, error.reason.clone())
}

/// A detached tree's refusal (its state unsafe, no such tree, the tree gone), under its code.
pub fn from_request(error: RequestError) -> Error {
    let (code, message) = error.coded();
    Error::new(code, message)
}
