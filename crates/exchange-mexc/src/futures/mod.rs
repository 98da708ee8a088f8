//! MEXC USDT-M futures (contract).

pub mod private;
