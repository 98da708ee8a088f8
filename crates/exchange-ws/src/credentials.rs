//! API credentials: given as values, read from the environment or from a file; never shown
//! and wiped from memory when dropped.

use std::fmt;
use std::path::Path;

use market_types::Venue;
use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::error::ClientError;

/// An API key and its secret. `Debug` shows neither; both are zeroed when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    key: Zeroizing<String>,
    secret: Zeroizing<String>,
    /// The account's user id where the venue names one (Gate.io futures: `GATEIO_UID`);
    /// not a secret.
    user_id: Option<String>,
}

// Each field wipes itself on drop.
impl ZeroizeOnDrop for Credentials {}

impl Credentials {
    /// A key and secret given in code.
    pub fn new(key: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            key: Zeroizing::new(key.into()),
            secret: Zeroizing::new(secret.into()),
            user_id: None,
        }
    }

    /// The account's user id, for venues that need it (Gate.io futures); without it the
    /// venue's session learns it over signed REST.
    pub fn with_user_id(mut self, user_id: impl Into<String>) -> Self {
        self.user_id = Some(user_id.into());
        self
    }

    /// The account's user id, when given.
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// Reads the venue's variables (its connector's `CREDENTIALS` names, e.g.
    /// `MEXC_API_KEY` and `MEXC_API_SECRET`) from the environment.
    pub fn from_env(venue: Venue) -> Result<Self, ClientError> {
        let (key_name, secret_name) = variable_names(venue);
        let user_id = user_id_name(venue).and_then(|name| std::env::var(name).ok());
        Self::pick(
            venue,
            std::env::var(key_name).ok(),
            std::env::var(secret_name).ok(),
        )
        .map(|c| c.maybe_user_id(user_id))
    }

    /// Reads the venue's variables from a file of `NAME=value` lines (`#` comments, an
    /// optional `export ` and quotes are allowed: a shell or `.env` file).
    pub fn from_file(venue: Venue, path: impl AsRef<Path>) -> Result<Self, ClientError> {
        let path = path.as_ref();
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
            ClientError::Credentials(format!("cannot read {}: {e}", path.display()))
        })?);
        let (key_name, secret_name) = variable_names(venue);
        let user_id = user_id_name(venue).and_then(|name| env_file_value(&text, name));
        Self::pick(
            venue,
            env_file_value(&text, key_name),
            env_file_value(&text, secret_name),
        )
        .map(|c| c.maybe_user_id(user_id))
    }

    /// The venue's credentials from `file` when given, else from the environment, as a
    /// command-line program reads them: `Ok(None)` when neither the key nor the secret is
    /// set (the program decides whether it needs them), an error when only one half is set
    /// or the file cannot be read.
    pub fn load(venue: Venue, file: Option<&Path>) -> Result<Option<Self>, ClientError> {
        let (key_name, secret_name) = variable_names(venue);
        let (key, secret, user_id) = match file {
            Some(path) => {
                // The whole file holds the secret: wiped too.
                let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
                    ClientError::Credentials(format!("cannot read {}: {e}", path.display()))
                })?);
                (
                    env_file_value(&text, key_name),
                    env_file_value(&text, secret_name),
                    user_id_name(venue).and_then(|name| env_file_value(&text, name)),
                )
            }
            None => (
                std::env::var(key_name).ok(),
                std::env::var(secret_name).ok(),
                user_id_name(venue).and_then(|name| std::env::var(name).ok()),
            ),
        };
        let (key, secret) = (
            key.filter(|k| !k.is_empty()),
            secret.filter(|s| !s.is_empty()),
        );
        if key.is_none() && secret.is_none() {
            return Ok(None);
        }
        Self::pick(venue, key, secret).map(|c| Some(c.maybe_user_id(user_id)))
    }

    fn maybe_user_id(self, user_id: Option<String>) -> Self {
        match user_id.filter(|u| !u.trim().is_empty()) {
            Some(user_id) => self.with_user_id(user_id),
            None => self,
        }
    }

    /// The key (sent to the venue in headers or signed payloads).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The secret (only ever used to sign).
    pub fn secret(&self) -> &str {
        &self.secret
    }

    fn pick(
        venue: Venue,
        key: Option<String>,
        secret: Option<String>,
    ) -> Result<Self, ClientError> {
        let (key_name, secret_name) = variable_names(venue);
        match (
            key.filter(|k| !k.is_empty()),
            secret.filter(|s| !s.is_empty()),
        ) {
            (Some(key), Some(secret)) => Ok(Self::new(key, secret)),
            (None, None) => Err(ClientError::Credentials(format!(
                "no credentials for {venue}: set {key_name} and {secret_name}"
            ))),
            (Some(_), None) => Err(ClientError::Credentials(format!(
                "{key_name} is set but {secret_name} is not; set both"
            ))),
            (None, Some(_)) => Err(ClientError::Credentials(format!(
                "{secret_name} is set but {key_name} is not; set both"
            ))),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials(<redacted>)")
    }
}

/// The variable naming the venue's account user id, if it has one (`GATEIO_UID`).
fn user_id_name(venue: Venue) -> Option<&'static str> {
    venue_registry::profile(venue).credentials.user_id
}

/// The environment variable names of a venue's key and secret.
pub fn variable_names(venue: Venue) -> (&'static str, &'static str) {
    let variables = venue_registry::profile(venue).credentials;
    (variables.key, variables.secret)
}

/// The value of `name` in the text of a shell or `.env` file (`NAME=value` lines, `#`
/// comments, an optional `export ` and quotes).
pub fn env_file_value(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line);
        let (k, v) = line.split_once('=')?;
        if k.trim() != name {
            return None;
        }
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(v);
        Some(v.to_string())
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    #[test]
    fn file_lines_and_redaction() {
        let text = "# keys\nexport MEXC_API_KEY=\"abc\"\nMEXC_API_SECRET='s3'\nOTHER=1\n";
        assert_eq!(env_file_value(text, "MEXC_API_KEY").as_deref(), Some("abc"));
        assert_eq!(
            env_file_value(text, "MEXC_API_SECRET").as_deref(),
            Some("s3")
        );
        assert_eq!(env_file_value(text, "GATEIO_API_KEY"), None);
        let credentials = Credentials::new("abc", "s3");
        let shown = format!("{credentials:?}");
        assert!(!shown.contains("abc") && !shown.contains("s3"), "{shown}");
    }

    #[test]
    fn keys_are_wiped_on_drop() {
        fn wiped_on_drop<T: ZeroizeOnDrop>() {}
        wiped_on_drop::<Credentials>();
    }

    #[test]
    fn load_reads_a_file_with_the_user_id_and_tells_nothing_from_half() {
        let dir = std::env::temp_dir().join(format!("exchange-ws-cred-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keys.env");
        std::fs::write(
            &path,
            "GATEIO_API_KEY=k\nGATEIO_API_SECRET=s\nGATEIO_UID=10001\nMEXC_API_KEY=m\nMEXC_API_SECRET=n\n",
        )
        .unwrap();
        let gate = Credentials::load(Venue::GateioFutures, Some(&path))
            .unwrap()
            .unwrap();
        assert_eq!((gate.key(), gate.secret()), ("k", "s"));
        assert_eq!(gate.user_id(), Some("10001"));
        let mexc = Credentials::load(Venue::MexcSpot, Some(&path))
            .unwrap()
            .unwrap();
        assert_eq!(mexc.user_id(), None, "MEXC names no user id");
        std::fs::write(&path, "MEXC_API_KEY=m\n").unwrap();
        let half = Credentials::load(Venue::MexcSpot, Some(&path)).unwrap_err();
        assert!(half.to_string().contains("set both"), "{half}");
        assert!(
            Credentials::load(Venue::GateioSpot, Some(&path))
                .unwrap()
                .is_none(),
            "nothing set is not an error"
        );
        let missing = Credentials::load(Venue::MexcSpot, Some(&dir.join("none")));
        assert!(missing.unwrap_err().to_string().contains("cannot read"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn half_a_key_says_which_half() {
        let e = Credentials::pick(Venue::MexcSpot, Some("k".into()), None).unwrap_err();
        assert!(e.to_string().contains("set both"), "{e}");
    }
}
