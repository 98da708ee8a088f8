//! The generated test PKI: one root, one `localhost`/`127.0.0.1` server certificate.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use crate::error::SimError;

/// A TLS acceptor and the DER of the root a client must trust to talk to it.
pub(crate) struct TestPki {
    pub(crate) acceptor: TlsAcceptor,
    pub(crate) root_der: Vec<u8>,
}

impl TestPki {
    /// Generates a fresh root and server certificate; nothing is written to disk.
    pub(crate) fn generate() -> Result<Self, SimError> {
        let root_key = KeyPair::generate()?;
        let mut root_params = CertificateParams::new(Vec::<String>::new())?;
        root_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        root_params
            .distinguished_name
            .push(DnType::CommonName, "exchange-sim test root");
        root_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let root_cert = root_params.self_signed(&root_key)?;
        let issuer = Issuer::new(root_params, root_key);

        let server_key = KeyPair::generate()?;
        let mut server_params = CertificateParams::new(SERVER_NAMES.map(str::to_owned).to_vec())?;
        server_params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let server_cert = server_params.signed_by(&server_key, &issuer)?;

        let chain = vec![
            server_cert.der().clone(),
            CertificateDer::from(root_cert.der().to_vec()),
        ];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;

        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            root_der: root_cert.der().to_vec(),
        })
    }
}

/// The names the server certificate is valid for.
const SERVER_NAMES: [&str; 2] = ["localhost", "127.0.0.1"];
