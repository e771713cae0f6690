//! The third-party platforms, by the wire names the API, the legacy
//! endpoints and the database all use.

use std::fmt;
use std::str::FromStr;

/// The third-party platforms a user can sign in with; the wire strings are part of the public API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// WeChat login inside a native mobile app (open platform "mobile application").
    WxApp,
    /// WeChat official account web authorisation (公众号网页授权).
    WxPublic,
    /// WeChat mini-program (小程序) `wx.login`.
    WxSmall,
    /// Sign in with Apple.
    Apple,
    /// QQ Connect (QQ互联).
    Qq,
    /// Sina Weibo.
    Wb,
    /// WeChat open-platform website app (网站应用): the QR code of PC sites (`qrconnect`, `snsapi_login`).
    WxWeb,
}

impl Platform {
    /// Every platform, so callers can list or validate them without repeating the set.
    pub fn all() -> [Platform; 7] {
        [
            Platform::WxApp,
            Platform::WxPublic,
            Platform::WxSmall,
            Platform::Apple,
            Platform::Qq,
            Platform::Wb,
            Platform::WxWeb,
        ]
    }

    /// The wire string used in requests, responses and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::WxApp => "wx_app",
            Platform::WxPublic => "wx_public",
            Platform::WxSmall => "wx_small",
            Platform::Apple => "apple",
            Platform::Qq => "qq",
            Platform::Wb => "wb",
            Platform::WxWeb => "wx_web",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Returned when a wire string names no known platform, so callers can answer 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown platform {0:?}")]
pub struct UnknownPlatform(pub String);

impl FromStr for Platform {
    type Err = UnknownPlatform;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::all()
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownPlatform(s.to_string()))
    }
}
