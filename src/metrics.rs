//! What `/metrics` shows (DESIGN §7). Each app owns its registry, so two
//! apps in one process (tests, two nodes in one test) never share counts;
//! services that count hold an `Arc<Metrics>` like any other dependency.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

use crate::error::AppError;

/// Distinct GraphQL operation names kept as labels; later ones are `other`.
const OPERATION_NAMES_KEPT: usize = 200;

/// The OpenMetrics content type the text is served with.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// How a sign-in proved who the caller is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInMethod {
    Password,
    Sms,
    Email,
    ThirdParty,
    OneClick,
    Refresh,
}

impl SignInMethod {
    /// The `method` label.
    pub fn as_str(self) -> &'static str {
        match self {
            SignInMethod::Password => "password",
            SignInMethod::Sms => "sms",
            SignInMethod::Email => "email",
            SignInMethod::ThirdParty => "third_party",
            SignInMethod::OneClick => "one_click",
            SignInMethod::Refresh => "refresh",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SignInLabels {
    method: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    channel: String,
    purpose: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LimitLabels {
    limit: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WindowLabels {
    window: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    version: String,
}

type Durations = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The app's metrics, registered once and rendered per scrape.
pub struct Metrics {
    registry: Registry,
    http_requests: Family<RequestLabels, Counter>,
    http_durations: Durations,
    graphql_operations: Family<OperationLabels, Counter>,
    operation_names: Mutex<HashSet<String>>,
    sign_ins: Family<SignInLabels, Counter>,
    codes_sent: Family<CodeLabels, Counter>,
    rate_limited: Family<LimitLabels, Counter>,
    refresh_reuse: Counter,
    pool: Family<StateLabels, Gauge>,
    sms_budget: Family<WindowLabels, Gauge<f64, AtomicU64>>,
}

/// A new metric of type `M`, registered under `name`.
fn registered<M>(registry: &mut Registry, name: &str, help: &str) -> M
where
    M: Default + Clone + prometheus_client::registry::Metric,
{
    let metric = M::default();
    registry.register(name, help, metric.clone());
    metric
}

fn request_buckets() -> Histogram {
    // 1 ms to ~16 s: an argon2 sign-in sits in the middle, a token check low.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Metrics {
    /// A fresh registry with every family, `build_info` set for `version`.
    pub fn new(version: &str) -> Self {
        let mut registry = Registry::default();
        let http_durations: Durations = Family::new_with_constructor(request_buckets);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            http_durations.clone(),
        );
        let build_info = Family::<VersionLabels, Gauge>::default();
        let labels = VersionLabels {
            version: version.to_string(),
        };
        build_info.get_or_create(&labels).set(1);
        registry.register("zhanghao_build_info", "The running build", build_info);
        let r = &mut registry;
        Metrics {
            http_requests: registered(r, "http_requests", "HTTP requests answered"),
            graphql_operations: registered(
                r,
                "zhanghao_graphql_operations",
                "GraphQL operations by name and outcome",
            ),
            sign_ins: registered(r, "zhanghao_sign_ins", "Sign-ins by method and outcome"),
            codes_sent: registered(r, "zhanghao_codes_sent", "Verification codes handed to a provider"),
            rate_limited: registered(r, "zhanghao_rate_limited", "Requests refused by a limit"),
            refresh_reuse: registered(
                r,
                "zhanghao_refresh_reuse_detected",
                "Rotated refresh tokens presented again after the grace",
            ),
            pool: registered(r, "zhanghao_db_pool_connections", "Database pool connections"),
            sms_budget: registered(
                r,
                "zhanghao_sms_budget_used_ratio",
                "Share of the global SMS budget spent in the current window",
            ),
            http_durations,
            operation_names: Mutex::default(),
            registry,
        }
    }

    /// One answered request; `route` is the matched route template.
    pub fn http_request(&self, route: &str, method: &str, status: u16, took: Duration) {
        let labels = RequestLabels {
            route: route.to_string(),
            method: method.to_string(),
            status: status.to_string(),
        };
        self.http_requests.get_or_create(&labels).inc();
        let labels = RouteLabels {
            route: labels.route,
            method: labels.method,
        };
        self.http_durations.get_or_create(&labels).observe(took.as_secs_f64());
    }

    /// One GraphQL operation; `outcome` is `success` or the first error code.
    pub fn graphql_operation(&self, name: Option<&str>, outcome: &str) {
        let operation = match name {
            None => "anonymous".to_string(),
            Some(name) => self.bounded_operation(name),
        };
        let labels = OperationLabels {
            operation,
            outcome: outcome.to_string(),
        };
        self.graphql_operations.get_or_create(&labels).inc();
    }

    fn bounded_operation(&self, name: &str) -> String {
        let Ok(mut seen) = self.operation_names.lock() else {
            return "other".to_string();
        };
        if seen.contains(name) {
            return name.to_string();
        }
        if seen.len() < OPERATION_NAMES_KEPT {
            seen.insert(name.to_string());
            return name.to_string();
        }
        "other".to_string()
    }

    /// One sign-in attempt and how it ended.
    pub fn sign_in(&self, method: SignInMethod, outcome: Result<(), &AppError>) {
        let outcome = match outcome {
            Ok(()) => "success",
            Err(err) => err.code(),
        };
        let labels = SignInLabels {
            method: method.as_str().to_string(),
            outcome: outcome.to_string(),
        };
        self.sign_ins.get_or_create(&labels).inc();
    }

    /// One code handed to a provider (`outcome`: `sent` or `failed`).
    pub fn code_sent(&self, channel: &str, purpose: &str, outcome: &str) {
        let labels = CodeLabels {
            channel: channel.to_string(),
            purpose: purpose.to_string(),
            outcome: outcome.to_string(),
        };
        self.codes_sent.get_or_create(&labels).inc();
    }

    /// One request refused by the limit named `limit`.
    pub fn rate_limited(&self, limit: &str) {
        let labels = LimitLabels {
            limit: limit.to_string(),
        };
        self.rate_limited.get_or_create(&labels).inc();
    }

    /// A rotated refresh token came back after its grace (the family is revoked).
    pub fn refresh_reuse_detected(&self) {
        self.refresh_reuse.inc();
    }

    /// The share of the SMS budget of `window` (`hour`, `day`) spent.
    pub fn sms_budget_used(&self, window: &str, ratio: f64) {
        let labels = WindowLabels {
            window: window.to_string(),
        };
        self.sms_budget.get_or_create(&labels).set(ratio.clamp(0.0, 1.0));
    }

    /// The exposition text, with the pool's counts as of now.
    pub fn render(&self, pool_in_use: u32, pool_idle: u32) -> String {
        for (state, count) in [("in_use", pool_in_use), ("idle", pool_idle)] {
            let labels = StateLabels {
                state: state.to_string(),
            };
            self.pool.get_or_create(&labels).set(i64::from(count));
        }
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            tracing::error!("metrics could not be encoded");
        }
        text
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new(env!("CARGO_PKG_VERSION"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_bounded() {
        let metrics = Metrics::default();
        for i in 0..OPERATION_NAMES_KEPT + 5 {
            metrics.graphql_operation(Some(&format!("Op{i}")), "success");
        }
        metrics.graphql_operation(Some("Op0"), "success");
        metrics.graphql_operation(None, "success");
        let text = metrics.render(0, 0);
        assert!(text.contains(r#"zhanghao_graphql_operations_total{operation="Op0",outcome="success"} 2"#));
        assert!(text.contains(r#"zhanghao_graphql_operations_total{operation="other",outcome="success"} 5"#));
        assert!(text.contains(r#"zhanghao_graphql_operations_total{operation="anonymous",outcome="success"} 1"#));
    }

    #[test]
    fn every_family_has_help_and_type() {
        let metrics = Metrics::new("1.2.3");
        metrics.http_request("/graphql", "POST", 200, Duration::from_millis(3));
        // A family shows once it has a series.
        metrics.sign_in(SignInMethod::Password, Ok(()));
        metrics.code_sent("sms", "login", "sent");
        metrics.rate_limited("send:gap");
        let text = metrics.render(1, 4);
        for family in [
            "http_requests",
            "http_request_duration_seconds",
            "zhanghao_sign_ins",
            "zhanghao_codes_sent",
            "zhanghao_rate_limited",
            "zhanghao_refresh_reuse_detected",
            "zhanghao_db_pool_connections",
            "zhanghao_build_info",
        ] {
            assert!(text.contains(&format!("# HELP {family} ")), "{family}: {text}");
            assert!(text.contains(&format!("# TYPE {family} ")), "{family}: {text}");
        }
        assert!(text.contains("# TYPE http_request_duration_seconds histogram"));
        // 3 ms falls in the 4 ms bucket and every one above it.
        assert!(
            text.contains(r#"http_request_duration_seconds_bucket{le="0.004",route="/graphql",method="POST"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"http_request_duration_seconds_bucket{le="0.002",route="/graphql",method="POST"} 0"#),
            "{text}"
        );
        assert!(text.contains(r#"zhanghao_build_info{version="1.2.3"} 1"#), "{text}");
        assert!(
            text.contains(r#"zhanghao_db_pool_connections{state="idle"} 4"#),
            "{text}"
        );
    }
}
