//! Solana JSON-RPC 2.0 over HTTP, on axum: the envelope (single requests,
//! batches, notifications, parse and shape errors, the body limit) here;
//! the methods in `methods`. Error objects are Agave's own
//! (`jsonrpc_core::Error`, `RpcCustomError`), so clients read them as they
//! read a validator's.

mod methods;
mod params;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use jsonrpc_core::{Error, ErrorCode};
use serde_json::{json, Value};

use crate::node::NodeHandle;

/// Agave's limit on a request body.
pub const MAX_REQUEST_BODY_BYTES: usize = 50 * 1024;
/// Requests in one batch, beyond which the batch is refused whole.
const MAX_BATCH: usize = 100;

pub fn router(node: NodeHandle) -> Router {
    Router::new()
        .route("/", post(handle))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY_BYTES))
        .with_state(node)
}

async fn handle(State(node): State<NodeHandle>, body: Result<Bytes, BytesRejection>) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let status = rejection.status();
            let error = Error {
                code: ErrorCode::InvalidRequest,
                message: format!("Invalid request: {} (the limit is {MAX_REQUEST_BODY_BYTES} bytes)", rejection.body_text()),
                data: None,
            };
            return (status, Json(error_response(Value::Null, error))).into_response();
        }
    };
    let request: Value = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(_) => return Json(error_response(Value::Null, Error::parse_error())).into_response(),
    };
    match request {
        Value::Array(batch) if batch.is_empty() => {
            Json(error_response(Value::Null, Error::invalid_request())).into_response()
        }
        Value::Array(batch) if batch.len() > MAX_BATCH => {
            let error = Error::invalid_params(format!("a batch holds at most {MAX_BATCH} requests"));
            Json(error_response(Value::Null, error)).into_response()
        }
        Value::Array(batch) => {
            let mut responses = Vec::with_capacity(batch.len());
            for call in batch {
                responses.extend(handle_call(&node, call).await);
            }
            if responses.is_empty() {
                StatusCode::NO_CONTENT.into_response()
            } else {
                Json(Value::Array(responses)).into_response()
            }
        }
        call => match handle_call(&node, call).await {
            Some(response) => Json(response).into_response(),
            None => StatusCode::NO_CONTENT.into_response(),
        },
    }
}

/// One call: `None` for a notification (no `id`), which gets no answer.
async fn handle_call(node: &NodeHandle, call: Value) -> Option<Value> {
    let Value::Object(call) = call else {
        return Some(error_response(Value::Null, Error::invalid_request()));
    };
    let id = call.get("id").cloned();
    let answer_id = id.clone().unwrap_or(Value::Null);
    let valid_id = matches!(id, None | Some(Value::Null | Value::Number(_) | Value::String(_)));
    let (Some(Value::String(version)), Some(Value::String(method)), true) = (call.get("jsonrpc"), call.get("method"), valid_id)
    else {
        return Some(error_response(answer_id, Error::invalid_request()));
    };
    if version != "2.0" {
        return Some(error_response(answer_id, Error::invalid_request()));
    }
    let params = match call.get("params") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(params)) => params.clone(),
        Some(_) => {
            let error = Error::invalid_params("params must be an array");
            return Some(error_response(answer_id, error));
        }
    };
    let result = methods::call(node, method, params::Params::new(params)).await;
    id.as_ref()?;
    Some(match result {
        Ok(result) => json!({ "jsonrpc": "2.0", "result": result, "id": answer_id }),
        Err(error) => error_response(answer_id, error),
    })
}

fn error_response(id: Value, error: Error) -> Value {
    json!({ "jsonrpc": "2.0", "error": error, "id": id })
}
