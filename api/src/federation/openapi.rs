//! The gateway role's own OpenAPI 3.1 description, served as
//! `/openapi.json` on its mTLS listener (so only holders of a country
//! certificate read it). It is a document of its own: the gateway runs
//! alone and serves none of the national routes of the national document
//! (`crate::server::openapi`, which serves this one too).

use utoipa::openapi::security::SecurityScheme;
use utoipa::{Modify, OpenApi};

/// The gateway's API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "warn gateway",
        description = "The federation gateway (`warn serve --services gateway`), with the \
            contract of the European Federation Gateway Service (EFGS): national servers \
            upload signed batches of their consenting users' keys and download the other \
            countries'. Every caller presents a client certificate of the federation's CA; \
            its `C=` is the caller's country. Every error is `{\"error\": code, \"message\": \
            sentence}`."
    ),
    paths(
        super::gateway::upload::upload,
        super::gateway::download::download,
        super::gateway::download::download_options,
        super::gateway::download::audit,
        super::gateway::callbacks::list_callbacks,
        super::gateway::callbacks::register_callback,
        super::gateway::callbacks::delete_callback,
        healthz,
    ),
    modifiers(&CountryCertificate),
    tags(
        (name = "gateway", description = "Batches of diagnosis keys between countries, and the callbacks that announce them"),
        (name = "operations", description = "Liveness"),
    )
)]
pub struct GatewayApiDoc;

/// The gateway's `/healthz` (served by [`crate::server`]'s handler; described here).
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "`ok`", body = String, content_type = "text/plain")))]
#[allow(dead_code)]
fn healthz() {}

struct CountryCertificate;

impl Modify for CountryCertificate {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "country_certificate",
            SecurityScheme::MutualTls {
                description: Some(
                    "A client certificate issued by the federation's CA (`warn federation cert`) \
                     whose subject's `C=` names the caller's country"
                        .to_owned(),
                ),
                extensions: None,
            },
        );
    }
}

/// The document, with the running version.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut openapi = GatewayApiDoc::openapi();
    openapi.info.version = env!("CARGO_PKG_VERSION").to_owned();
    openapi
}

/// The national server's federation callback, merged into the national
/// document (`crate::server::openapi::document`) when the federation
/// service runs (only then is the route there).
#[derive(OpenApi)]
#[openapi(
    paths(super::callback),
    tags((name = "federation", description = "The gateway's announcements of new batches (only when the federation service runs)"))
)]
pub struct CallbackApiDoc;
