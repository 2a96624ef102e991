//! Logs and traces of the binary: the `tracing` subscriber, with optional OpenTelemetry
//! export of its spans over OTLP/HTTP (protobuf).
//!
//! Key rule: export is off unless an endpoint is configured, and the spans (one per request,
//! dataloader batch, SQL statement and index search) exist either way; turning export on
//! changes what leaves the process, not what the code does. Log lines keep their own filter
//! (`RUST_LOG`), so quiet logs do not silence traces.

use anyhow::Context;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// The log filter when `RUST_LOG` is unset.
const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn,tower_http=info";

/// Where spans are exported, if anywhere.
#[derive(Clone, Debug, Default)]
pub struct OtlpConfig {
    /// Base URL of an OTLP/HTTP receiver (`/v1/traces` is appended); `None` exports nothing.
    pub endpoint: Option<String>,
    /// `service.name` of the exported spans.
    pub service_name: String,
}

/// What must outlive the work: the span exporter, flushed by [`Telemetry::shutdown`].
#[must_use = "call shutdown before exiting, or the last spans are lost"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Exports the spans still buffered and stops the exporter.
    pub async fn shutdown(self) {
        let Some(provider) = self.provider else {
            return;
        };
        // The SDK waits on its export thread: keep that wait off the async workers.
        match tokio::task::spawn_blocking(move || provider.shutdown()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(error = %error, "could not flush the last spans"),
            Err(error) => tracing::warn!(error = %error, "span flush task failed"),
        }
    }
}

/// Installs the global subscriber: log lines in `format`, filtered by `RUST_LOG`, and, when
/// `otlp` names an endpoint, every span at INFO or above exported in batches.
pub fn init(format: LogFormat, otlp: &OtlpConfig) -> anyhow::Result<Telemetry> {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    let logs = match format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_filter(filter)
            .boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer().with_filter(filter).boxed(),
    };
    let provider = otlp
        .endpoint
        .as_deref()
        .map(|endpoint| tracer_provider(endpoint, &otlp.service_name))
        .transpose()?;
    let traces = provider.as_ref().map(|provider| {
        // The exporter's own HTTP stack must never feed spans back into the exporter.
        let exported = Targets::new()
            .with_default(LevelFilter::INFO)
            .with_target("hyper", LevelFilter::OFF)
            .with_target("hyper_util", LevelFilter::OFF)
            .with_target("reqwest", LevelFilter::OFF)
            .with_target("opentelemetry", LevelFilter::OFF)
            .with_target("opentelemetry_sdk", LevelFilter::OFF)
            .with_target("opentelemetry_otlp", LevelFilter::OFF);
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("textisur"))
            // Spans carry the call site that matters themselves (the SQL statement's caller);
            // the place the span macro sits in would only repeat the span's name.
            .with_location(false)
            .with_filter(exported)
    });
    tracing_subscriber::registry()
        .with(logs)
        .with(traces)
        .try_init()
        .context("install the tracing subscriber")?;
    if let Some(endpoint) = &otlp.endpoint {
        tracing::info!(
            endpoint,
            service = otlp.service_name,
            "exporting traces over OTLP"
        );
    }
    Ok(Telemetry { provider })
}

/// The OTLP/HTTP trace endpoint of a base URL, as `OTEL_EXPORTER_OTLP_ENDPOINT` means it.
pub fn traces_url(endpoint: &str) -> String {
    format!("{}/v1/traces", endpoint.trim_end_matches('/'))
}

fn tracer_provider(endpoint: &str, service_name: &str) -> anyhow::Result<SdkTracerProvider> {
    // Our HTTP client is built without TLS: say so now rather than fail every export.
    anyhow::ensure!(
        endpoint.starts_with("http://"),
        "OTLP endpoint {endpoint}: only http:// is supported (send to a collector beside the \
         process, which may forward over TLS)"
    );
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(traces_url(endpoint))
        .build()
        .context("build the OTLP span exporter")?;
    // Accept a caller's `traceparent`, so our spans join the trace of whoever called us.
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name(service_name.to_owned())
                .build(),
        )
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_traces_path_is_appended_once() {
        assert_eq!(
            traces_url("http://collector:4318/"),
            "http://collector:4318/v1/traces"
        );
        assert_eq!(
            traces_url("http://collector:4318"),
            "http://collector:4318/v1/traces"
        );
    }
}
