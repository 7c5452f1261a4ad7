//! One endpoint: its method and path (as the router matches it, without `.json`), who may call
//! it (see `permissions::Who`) and its handler. Each resource's route module lists its own
//! endpoints; the router puts every list together.

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{self, MethodRouter};

use crate::permissions::Who;
use crate::state::AppState;

pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    pub who: Who,
    pub handler: MethodRouter<AppState>,
}

impl Endpoint {
    pub fn get<H: Handler<T, AppState>, T: 'static>(
        path: &'static str,
        who: Who,
        handler: H,
    ) -> Endpoint {
        Endpoint {
            method: Method::GET,
            path,
            who,
            handler: routing::get(handler),
        }
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(
        path: &'static str,
        who: Who,
        handler: H,
    ) -> Endpoint {
        Endpoint {
            method: Method::POST,
            path,
            who,
            handler: routing::post(handler),
        }
    }

    pub fn put<H: Handler<T, AppState>, T: 'static>(
        path: &'static str,
        who: Who,
        handler: H,
    ) -> Endpoint {
        Endpoint {
            method: Method::PUT,
            path,
            who,
            handler: routing::put(handler),
        }
    }

    pub fn patch<H: Handler<T, AppState>, T: 'static>(
        path: &'static str,
        who: Who,
        handler: H,
    ) -> Endpoint {
        Endpoint {
            method: Method::PATCH,
            path,
            who,
            handler: routing::patch(handler),
        }
    }

    pub fn delete<H: Handler<T, AppState>, T: 'static>(
        path: &'static str,
        who: Who,
        handler: H,
    ) -> Endpoint {
        Endpoint {
            method: Method::DELETE,
            path,
            who,
            handler: routing::delete(handler),
        }
    }
}
