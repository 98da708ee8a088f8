//! API credentials: from the environment or a file, never from arguments, never shown.

use std::fmt;
use std::path::Path;

use exchange_ws::env_file_value;
use market_types::Venue;
use zeroize::{ZeroizeOnDrop, Zeroizing};

/// An API key and its secret. `Debug` and `Display` show neither; both are wiped from
/// memory when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    key: Zeroizing<String>,
    secret: Zeroizing<String>,
    /// The account's user id where the venue names it (`GATEIO_UID`); not a secret.
    user_id: Option<String>,
}

// Each field wipes itself on drop.
impl ZeroizeOnDrop for ApiKey {}

impl ApiKey {
    /// The key (sent to the venue in headers or signed payloads).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The secret (only ever used to sign).
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// The account's user id, when configured.
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// A key given in code (the demo's simulator keys).
    pub fn new(key: &str, secret: &str) -> Self {
        Self {
            key: Zeroizing::new(key.into()),
            secret: Zeroizing::new(secret.into()),
            user_id: None,
        }
    }

    /// A stand-in for replay, where requests are signed but never sent.
    pub fn placeholder() -> Self {
        Self::new("replay", "replay")
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// The environment variable names of a venue's key and secret.
pub fn variable_names(venue: Venue) -> (&'static str, &'static str) {
    let variables = venue_registry::profile(venue).credentials;
    (variables.key, variables.secret)
}

/// Finds the credentials for `venue`: in `file` when given (lines `NAME=value`, `#`
/// comments, optional `export ` and quotes), else in the environment. The account's
/// user id (`GATEIO_UID`) is read the same way where the venue names one.
pub fn load(venue: Venue, file: Option<&Path>) -> Result<Option<ApiKey>, String> {
    let (key_name, secret_name) = variable_names(venue);
    let user_id_name = venue_registry::profile(venue).credentials.user_id;
    let (key, secret, user_id) = match file {
        Some(path) => {
            // The whole file holds the secret: wiped too.
            let text =
                Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
                    format!("cannot read --credentials-file {}: {e}", path.display())
                })?);
            (
                env_file_value(&text, key_name),
                env_file_value(&text, secret_name),
                user_id_name.and_then(|name| env_file_value(&text, name)),
            )
        }
        None => (
            std::env::var(key_name).ok(),
            std::env::var(secret_name).ok(),
            user_id_name.and_then(|name| std::env::var(name).ok()),
        ),
    };
    let user_id = user_id.filter(|u| !u.trim().is_empty());
    match (
        key.filter(|k| !k.is_empty()),
        secret.filter(|s| !s.is_empty()),
    ) {
        (Some(key), Some(secret)) => Ok(Some(ApiKey {
            key: Zeroizing::new(key),
            secret: Zeroizing::new(secret),
            user_id,
        })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(format!(
            "{key_name} is set but {secret_name} is not; set both"
        )),
        (None, Some(_)) => Err(format!(
            "{secret_name} is set but {key_name} is not; set both"
        )),
    }
}

/// The message for private channels without credentials.
pub fn missing_message(venue: Venue, channels: &str) -> String {
    let (key, secret) = variable_names(venue);
    format!(
        "the {channels} channel needs API credentials for {venue}: set {key} and {secret} \
         in the environment, or pass --credentials-file FILE with {key}=... and {secret}=... \
         lines (never on the command line)"
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    #[test]
    fn file_lines() {
        let text = "# keys\nexport MEXC_API_KEY=\"abc\"\nMEXC_API_SECRET='s3'\nOTHER=1\n";
        assert_eq!(env_file_value(text, "MEXC_API_KEY").as_deref(), Some("abc"));
        assert_eq!(
            env_file_value(text, "MEXC_API_SECRET").as_deref(),
            Some("s3")
        );
        assert_eq!(env_file_value(text, "GATEIO_API_KEY"), None);
        let key = ApiKey::new("abc", "s3");
        assert!(!format!("{key:?}").contains("abc"));
        assert!(!format!("{key:#?}").contains("s3"));
    }

    #[test]
    fn keys_are_wiped_on_drop() {
        fn wiped_on_drop<T: ZeroizeOnDrop>() {}
        wiped_on_drop::<ApiKey>();
        wiped_on_drop::<Zeroizing<String>>();
    }

    #[test]
    fn the_gateio_user_id_is_read_from_the_file() {
        let dir = std::env::temp_dir().join(format!("wsx-uid-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("gate.env");
        std::fs::write(
            &path,
            "GATEIO_API_KEY=k\nGATEIO_API_SECRET=s\nGATEIO_UID=10001\nMEXC_API_KEY=m\nMEXC_API_SECRET=n\n",
        )
        .unwrap();
        let gate = load(Venue::GateioFutures, Some(&path)).unwrap().unwrap();
        assert_eq!(gate.user_id(), Some("10001"));
        let mexc = load(Venue::MexcSpot, Some(&path)).unwrap().unwrap();
        assert_eq!(mexc.user_id(), None, "MEXC names no user id");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
