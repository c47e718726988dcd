//! The public paths of the distribution (SPEC section 5), as the server
//! publishes them and the browser and the apps fetch them.
//!
//! Paths are relative (`version/v1/...`): the object store keys them so;
//! a URL is `/` followed by the path ([`url`]). The first entry of the
//! country index is the home country, whose configuration is at
//! [`app_config`].

/// The first segments of every diagnosis-key and v1 configuration path.
pub const ROOT: &str = "version/v1";
/// The first segments of the version 2 configurations.
pub const ROOT_V2: &str = "version/v2";

/// `["DE", "EUR", ...]`: the regions that have bundles, home country first.
pub fn country_index() -> String {
    format!("{ROOT}/diagnosis-keys/country")
}

/// Prefix of everything of one region.
pub fn region(region: &str) -> String {
    format!("{ROOT}/diagnosis-keys/country/{region}")
}

/// `["2026-11-20", ...]`: the complete days of a region.
pub fn date_index(region: &str) -> String {
    format!("{}/date", self::region(region))
}

/// The daily bundle; the files of a batch after the first at `.../batch/N`.
pub fn day_bundle(region: &str, date: &str, batch: u32) -> String {
    with_batch(format!("{}/{date}", date_index(region)), batch)
}

/// `[0, 1, ...]`: the complete hours of a day.
pub fn hour_index(region: &str, date: &str) -> String {
    format!("{}/{date}/hour", date_index(region))
}

/// The hourly bundle; the files of a batch after the first at `.../batch/N`.
pub fn hour_bundle(region: &str, date: &str, hour: u32, batch: u32) -> String {
    with_batch(format!("{}/{hour}", hour_index(region, date)), batch)
}

/// The file after `first` in its batch (`batch` from 2 on); the first file
/// is the one the indexes name.
pub fn batch_file(first: &str, batch: u32) -> String {
    with_batch(first.to_owned(), batch)
}

/// The signed v1 `ApplicationConfiguration` of the home country.
pub fn app_config(home: &str) -> String {
    format!("{ROOT}/configuration/country/{home}/app_config")
}

/// The signed `ApplicationConfigurationAndroid` under `version/{version}`
/// (`"v1"` or `"v2"`).
pub fn app_config_android(version: &str) -> String {
    format!("version/{version}/app_config_android")
}

/// The signed `ApplicationConfigurationIOS` under `version/{version}`.
pub fn app_config_ios(version: &str) -> String {
    format!("version/{version}/app_config_ios")
}

/// The public keys that verify bundles, as JSON.
pub fn keys() -> String {
    format!("{ROOT}/keys")
}

/// Whether `path` is one of the signed configurations (a zip like a
/// bundle, but replaced every run).
pub fn is_app_config(path: &str) -> bool {
    ["/app_config", "/app_config_android", "/app_config_ios"]
        .iter()
        .any(|name| path.ends_with(name))
}

/// What a published file is, told by its path alone (so the server, the
/// object store and a CDN agree on its headers whatever its bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// An hourly or daily bundle (or a further part of one): a zip that
    /// never changes once published.
    Bundle,
    /// A signed configuration: a zip replaced every run.
    Configuration,
    /// The public keys, JSON.
    Keys,
    /// A country, date or hour index, JSON replaced every run; also any path
    /// outside the layout.
    Index,
}

impl FileKind {
    /// The kind of the file at public path `path`.
    pub fn of(path: &str) -> Self {
        if is_app_config(path) {
            return Self::Configuration;
        }
        if path == keys() {
            return Self::Keys;
        }
        let last = path.rsplit('/').next().unwrap_or_default();
        let in_regions = path
            .strip_prefix(&country_index())
            .is_some_and(|rest| rest.starts_with('/'));
        if in_regions && !matches!(last, "date" | "hour") && path.contains("/date/") {
            Self::Bundle
        } else {
            Self::Index
        }
    }

    /// Its `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Bundle | Self::Configuration => "application/zip",
            Self::Keys | Self::Index => "application/json",
        }
    }

    /// Whether it never changes once published (and may be cached long).
    pub fn is_immutable(self) -> bool {
        self == Self::Bundle
    }
}

/// The URL path of a public path, on the host that serves the tree.
pub fn url(path: &str) -> String {
    format!("/{path}")
}

fn with_batch(path: String, batch: u32) -> String {
    if batch <= 1 {
        path
    } else {
        format!("{path}/batch/{batch}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_those_of_the_corona_warn_app_cdn() {
        // cwa-server's distribution layout (and the apps' DiagnosisKeyApiV1).
        assert_eq!(country_index(), "version/v1/diagnosis-keys/country");
        assert_eq!(
            date_index("DE"),
            "version/v1/diagnosis-keys/country/DE/date"
        );
        assert_eq!(
            day_bundle("EUR", "2026-11-20", 1),
            "version/v1/diagnosis-keys/country/EUR/date/2026-11-20"
        );
        assert_eq!(
            hour_index("DE", "2026-11-20"),
            "version/v1/diagnosis-keys/country/DE/date/2026-11-20/hour"
        );
        assert_eq!(
            hour_bundle("DE", "2026-11-20", 7, 3),
            "version/v1/diagnosis-keys/country/DE/date/2026-11-20/hour/7/batch/3"
        );
        assert_eq!(
            batch_file(&day_bundle("DE", "2026-11-20", 1), 2),
            day_bundle("DE", "2026-11-20", 2)
        );
        assert_eq!(
            app_config("AT"),
            "version/v1/configuration/country/AT/app_config"
        );
        assert_eq!(app_config_android("v2"), "version/v2/app_config_android");
        assert_eq!(app_config_ios("v1"), "version/v1/app_config_ios");
        assert_eq!(keys(), "version/v1/keys");
        assert_eq!(url(&keys()), "/version/v1/keys");
    }

    #[test]
    fn every_published_path_has_its_kind() {
        let cases = [
            (day_bundle("DE", "2026-11-20", 1), FileKind::Bundle),
            (day_bundle("EUR", "2026-11-20", 2), FileKind::Bundle),
            (hour_bundle("DE", "2026-11-20", 0, 1), FileKind::Bundle),
            (hour_bundle("DE", "2026-11-20", 23, 3), FileKind::Bundle),
            (country_index(), FileKind::Index),
            (date_index("DE"), FileKind::Index),
            (hour_index("DE", "2026-11-20"), FileKind::Index),
            (app_config("DE"), FileKind::Configuration),
            (app_config_android("v2"), FileKind::Configuration),
            (app_config_ios("v1"), FileKind::Configuration),
            (keys(), FileKind::Keys),
            ("version/v1/other".to_owned(), FileKind::Index),
        ];
        for (path, kind) in cases {
            assert_eq!(FileKind::of(&path), kind, "{path}");
        }
        assert_eq!(FileKind::Bundle.content_type(), "application/zip");
        assert_eq!(FileKind::Configuration.content_type(), "application/zip");
        assert_eq!(FileKind::Index.content_type(), "application/json");
        assert!(FileKind::Bundle.is_immutable());
        assert!(!FileKind::Configuration.is_immutable());
    }

    #[test]
    fn only_the_configurations_are_configurations() {
        assert!(is_app_config(&app_config("DE")));
        assert!(is_app_config(&app_config_android("v2")));
        assert!(is_app_config(&app_config_ios("v1")));
        assert!(!is_app_config(&day_bundle("DE", "2026-11-20", 1)));
        assert!(!is_app_config(&keys()));
    }
}
