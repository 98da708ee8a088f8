//! `exchange_ws.Event` and `exchange_ws.Levels`: events handed to Python as native objects.
//!
//! An event keeps the Rust event it was made from; nothing is converted until Python code
//! reads it. Prices and quantities stay exact Rust decimals and become `decimal.Decimal`
//! (from their exact text) when an attribute is read; a book update's `bids` and `asks`
//! are `Levels`, a sequence over the Rust levels whose items become `Level(price, qty)`
//! when taken. Ticker and book-update attributes are read straight from the Rust event;
//! every other kind (and `fields`, `repr`, pickling) goes once through the event's JSON
//! form and the package's `_convert`, so their values are exactly what they always were.

use market_types::{BookUpdateKind, Level, Symbol};
use pyo3::exceptions::{PyAttributeError, PyIndexError};
use pyo3::prelude::*;
use pyo3::pyclass::CompareOp;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PySlice, PyString, PyTuple, PyType};

use exchange_ws::{Event, EventBody};

use crate::error;

static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static LEVEL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static TUPLE_NEW: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// `decimal.Decimal` of an exact Rust decimal, through its text (no float on the way).
fn decimal<'py>(py: Python<'py>, value: impl std::fmt::Display) -> PyResult<Bound<'py, PyAny>> {
    let class = DECIMAL.import(py, "decimal", "Decimal")?;
    class.call1((PyString::new(py, &value.to_string()),))
}

/// `exchange_ws.Level(price, qty)`, made as the NamedTuple's own `__new__` makes it
/// (`tuple.__new__(Level, (price, qty))`) without running that Python function.
fn level<'py>(py: Python<'py>, level: &Level) -> PyResult<Bound<'py, PyAny>> {
    let class = LEVEL.import(py, "exchange_ws", "Level")?;
    let new = TUPLE_NEW.get_or_try_init(py, || {
        PyResult::Ok(py.get_type::<PyTuple>().getattr("__new__")?.unbind())
    })?;
    let pair = PyTuple::new(
        py,
        [decimal(py, level.price)?, decimal(py, level.quantity)?],
    )?;
    new.bind(py).call1((class, pair))
}

fn optional_level<'py>(py: Python<'py>, value: Option<&Level>) -> PyResult<Bound<'py, PyAny>> {
    match value {
        Some(l) => level(py, l),
        None => Ok(py.None().into_bound(py)),
    }
}

fn symbol_text<'py>(py: Python<'py>, symbol: Symbol) -> Bound<'py, PyAny> {
    PyString::new(py, symbol.as_str()).into_any()
}

/// What is read through the event's JSON form (once, then kept).
struct Decoded {
    symbol: Py<PyAny>,
    exchange_ts_ms: Py<PyAny>,
    fields: Py<PyDict>,
}

#[allow(
    clippy::large_enum_variant,
    reason = "the event lives inside its Python object: boxing it would add an allocation per event"
)]
enum Source {
    /// Delivered by the client or a replay.
    Native(Event),
    /// Built from a dict (`Event(raw)`, `Event._from_json`, unpickling): rare, boxed so
    /// the delivered events stay one allocation.
    Raw(Box<RawHead>),
}

struct RawHead {
    kind: String,
    venue: String,
    receive_ts_ns: Py<PyAny>,
}

/// One normalized event.
///
/// Every event has `kind` (`book_update`, `book_status`, `trade`, `ticker`, `ticker24h`,
/// `order`, `fill`, `balance`, `position`, `error`, `book`, `connection`, `lagged`),
/// `venue`, `symbol` (`None` when not about one instrument), `exchange_ts_ms` and
/// `receive_ts_ns`; the kind's own fields are attributes too (`price`, `quantity`, `bids`,
/// `asks`, `status`, ...), with decimals as `decimal.Decimal` and book levels as
/// `Level(price, qty)` (a book update's `bids`/`asks` are `Levels`, a sequence of them).
/// `fields` holds them all as a dict. Values are converted when read, from the exact
/// Rust decimals.
#[pyclass(name = "Event", module = "exchange_ws", frozen)]
pub(crate) struct PyEvent {
    source: Source,
    decoded: PyOnceLock<Decoded>,
}

impl PyEvent {
    pub(crate) fn native(event: Event) -> Self {
        Self {
            source: Source::Native(event),
            decoded: PyOnceLock::new(),
        }
    }

    fn decoded(&self, py: Python<'_>) -> PyResult<&Decoded> {
        self.decoded.get_or_try_init(py, || {
            let Source::Native(event) = &self.source else {
                // A raw event is decoded when it is made.
                return Err(error("an event built from a dict lost its fields"));
            };
            let value = serde_json::to_value(event).map_err(error)?;
            let raw = json_to_py(py, &value)?;
            let raw = raw.cast_into::<PyDict>()?;
            Ok(split_raw(py, &raw)?.3)
        })
    }
}

/// The common keys out of a raw event dict (a copy; the caller's dict is left alone), the
/// rest through the package's `_convert`: `(kind, venue, receive_ts_ns, decoded)`.
fn split_raw<'py>(
    py: Python<'py>,
    raw: &Bound<'py, PyDict>,
) -> PyResult<(String, String, Py<PyAny>, Decoded)> {
    let raw = raw.copy()?;
    let take = |name: &str, default: Option<Bound<'py, PyAny>>| -> PyResult<Bound<'py, PyAny>> {
        let popped = raw.call_method1("pop", (name, py.None()))?;
        match default {
            Some(d) if popped.is_none() => Ok(d),
            _ => Ok(popped),
        }
    };
    let kind: String = raw.call_method1("pop", ("kind",))?.extract()?;
    let venue: String = raw.call_method1("pop", ("venue",))?.extract()?;
    let symbol = take("symbol", None)?;
    let exchange_ts_ms = take("exchange_ts_ms", None)?;
    let receive_ts_ns = take("receive_ts_ns", Some(0u64.into_pyobject(py)?.into_any()))?;
    let convert = py.import("exchange_ws")?.getattr("_convert")?;
    let fields = convert.call1((raw,))?.cast_into::<PyDict>()?;
    Ok((
        kind,
        venue,
        receive_ts_ns.unbind(),
        Decoded {
            symbol: symbol.unbind(),
            exchange_ts_ms: exchange_ts_ms.unbind(),
            fields: fields.unbind(),
        },
    ))
}

/// A JSON value as plain Python values (the `json.loads` result).
fn json_to_py<'py>(py: Python<'py>, value: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    use serde_json::Value;
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, json_to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

#[pymethods]
impl PyEvent {
    /// An event from a dict of its JSON form (`kind`, `venue`, then its fields).
    #[new]
    fn new(py: Python<'_>, raw: &Bound<'_, PyDict>) -> PyResult<Self> {
        let (kind, venue, receive_ts_ns, decoded) = split_raw(py, raw)?;
        let cell = PyOnceLock::new();
        // A fresh cell: the value always goes in.
        let _ = cell.set(py, decoded);
        Ok(Self {
            source: Source::Raw(Box::new(RawHead {
                kind,
                venue,
                receive_ts_ns,
            })),
            decoded: cell,
        })
    }

    /// An event from one JSON line (what `wsx` prints).
    #[staticmethod]
    fn _from_json(py: Python<'_>, line: &str) -> PyResult<Self> {
        let value: serde_json::Value = serde_json::from_str(line).map_err(error)?;
        let raw = json_to_py(py, &value)?.cast_into::<PyDict>()?;
        Self::new(py, &raw)
    }

    #[getter]
    fn kind<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        match &self.source {
            Source::Native(event) => PyString::intern(py, event.kind().as_str()),
            Source::Raw(head) => PyString::new(py, &head.kind),
        }
    }

    #[getter]
    fn venue<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        match &self.source {
            Source::Native(event) => PyString::intern(py, event.venue.as_str()),
            Source::Raw(head) => PyString::new(py, &head.venue),
        }
    }

    #[getter]
    fn symbol<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        if let Source::Native(event) = &self.source {
            match &event.body {
                EventBody::Ticker(t) => return Ok(symbol_text(py, t.symbol)),
                EventBody::BookUpdate { update, .. } => return Ok(symbol_text(py, update.symbol)),
                _ => {}
            }
        }
        Ok(self.decoded(py)?.symbol.bind(py).clone())
    }

    #[getter]
    fn exchange_ts_ms<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        if let Source::Native(event) = &self.source {
            let ts = match &event.body {
                EventBody::Ticker(t) => Some(t.exchange_time_ms),
                EventBody::BookUpdate { update, .. } => Some(update.exchange_time_ms),
                _ => None,
            };
            if let Some(ts) = ts {
                return Ok(ts.into_pyobject(py)?.into_any());
            }
        }
        Ok(self.decoded(py)?.exchange_ts_ms.bind(py).clone())
    }

    #[getter]
    fn receive_ts_ns<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match &self.source {
            Source::Native(event) => Ok(event.receive_ts_ns.into_pyobject(py)?.into_any()),
            Source::Raw(head) => Ok(head.receive_ts_ns.bind(py).clone()),
        }
    }

    /// Every field of the kind as a dict (decimals as `Decimal`, levels as `Level`).
    #[getter]
    fn fields<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        Ok(self.decoded(py)?.fields.bind(py).clone())
    }

    // The hot fields are getters: reaching `__getattr__` costs a failed generic lookup
    // (an exception) first. Each falls back to the fields of kinds that have it.
    #[getter]
    fn bid<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::__getattr__(slf, "bid")
    }

    #[getter]
    fn ask<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::__getattr__(slf, "ask")
    }

    #[getter]
    fn bids<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::__getattr__(slf, "bids")
    }

    #[getter]
    fn asks<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::__getattr__(slf, "asks")
    }

    #[getter]
    fn update_id<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::__getattr__(slf, "update_id")
    }

    #[getter]
    fn update<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::__getattr__(slf, "update")
    }

    #[getter]
    fn first_update_id<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::__getattr__(slf, "first_update_id")
    }

    #[getter]
    fn last_update_id<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::__getattr__(slf, "last_update_id")
    }

    fn __getattr__<'py>(slf: &Bound<'py, Self>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let this = slf.get();
        if let Source::Native(event) = &this.source {
            match (&event.body, name) {
                (EventBody::Ticker(t), "bid") => return optional_level(py, t.bid.as_ref()),
                (EventBody::Ticker(t), "ask") => return optional_level(py, t.ask.as_ref()),
                (EventBody::Ticker(t), "update_id") => {
                    return Ok(t.update_id.into_pyobject(py)?.into_any());
                }
                (EventBody::BookUpdate { update, .. }, "update") => {
                    let text = match update.kind {
                        BookUpdateKind::Snapshot => "snapshot",
                        BookUpdateKind::Delta => "delta",
                    };
                    return Ok(PyString::intern(py, text).into_any());
                }
                (EventBody::BookUpdate { update, .. }, "first_update_id") => {
                    return Ok(update.first_update_id.into_pyobject(py)?.into_any());
                }
                (EventBody::BookUpdate { update, .. }, "last_update_id") => {
                    return Ok(update.last_update_id.into_pyobject(py)?.into_any());
                }
                (EventBody::BookUpdate { .. }, "bids" | "asks") => {
                    let levels = PyLevels {
                        event: slf.clone().unbind(),
                        asks: name == "asks",
                    };
                    return Ok(Bound::new(py, levels)?.into_any());
                }
                _ => {}
            }
        }
        let fields = this.decoded(py)?.fields.bind(py);
        match fields.get_item(name)? {
            Some(value) => Ok(value),
            None => Err(PyAttributeError::new_err(format!(
                "a {} event has no field '{name}'",
                this.kind(py)
            ))),
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let decoded = self.decoded(py)?;
        Ok(format!(
            "Event(kind={}, venue={}, symbol={}, fields={})",
            self.kind(py).repr()?,
            self.venue(py).repr()?,
            self.symbol(py)?.repr()?,
            decoded.fields.bind(py).repr()?,
        ))
    }

    /// Pickles as `Event(raw)` with the dict of the event's JSON form.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyType>, (Bound<'py, PyDict>,))> {
        let py = slf.py();
        let this = slf.get();
        let raw = PyDict::new(py);
        raw.set_item("kind", this.kind(py))?;
        raw.set_item("venue", this.venue(py))?;
        raw.set_item("symbol", this.symbol(py)?)?;
        raw.set_item("exchange_ts_ms", this.exchange_ts_ms(py)?)?;
        raw.set_item("receive_ts_ns", this.receive_ts_ns(py)?)?;
        raw.update(this.fields(py)?.as_mapping())?;
        Ok((py.get_type::<PyEvent>(), (raw,)))
    }
}

/// One side of a book update's levels, best first: a read-only sequence whose items
/// become `Level(price, qty)` when taken. Equal to any sequence of equal items.
#[pyclass(name = "Levels", module = "exchange_ws", frozen, sequence)]
pub(crate) struct PyLevels {
    event: Py<PyEvent>,
    asks: bool,
}

impl PyLevels {
    fn levels(&self) -> &[Level] {
        match &self.event.get().source {
            Source::Native(event) => match &event.body {
                EventBody::BookUpdate { bids, asks, .. } => {
                    if self.asks {
                        asks
                    } else {
                        bids
                    }
                }
                _ => &[],
            },
            Source::Raw(_) => &[],
        }
    }

    fn to_list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for l in self.levels() {
            list.append(level(py, l)?)?;
        }
        Ok(list)
    }
}

#[pymethods]
impl PyLevels {
    fn __len__(&self) -> usize {
        self.levels().len()
    }

    /// An index gives one `Level`, a slice a list of them.
    fn __getitem__<'py>(
        &self,
        py: Python<'py>,
        index: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let levels = self.levels();
        if let Ok(slice) = index.cast::<PySlice>() {
            return self.to_list(py)?.as_any().get_item(slice);
        }
        let i: isize = index.extract()?;
        let len = isize::try_from(levels.len()).unwrap_or(isize::MAX);
        let at = if i < 0 { i.checked_add(len) } else { Some(i) };
        match at
            .and_then(|a| usize::try_from(a).ok())
            .and_then(|a| levels.get(a))
        {
            Some(l) => level(py, l),
            None => Err(PyIndexError::new_err("level index out of range")),
        }
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.to_list(py)?.try_iter().map(Bound::into_any)
    }

    fn __richcmp__<'py>(
        &self,
        py: Python<'py>,
        other: &Bound<'py, PyAny>,
        op: CompareOp,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mine = self.to_list(py)?;
        let theirs = match other.cast::<PyLevels>() {
            Ok(levels) => levels.get().to_list(py)?.into_any(),
            Err(_) => match other.cast::<PyList>() {
                Ok(list) => list.clone().into_any(),
                Err(_) => match other.cast::<pyo3::types::PyTuple>() {
                    Ok(tuple) => PyList::new(py, tuple.iter())?.into_any(),
                    Err(_) => return Ok(py.NotImplemented().into_bound(py)),
                },
            },
        };
        mine.rich_compare(theirs, op)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.to_list(py)?.repr()?.to_string())
    }

    /// Pickles (and copies) as the plain list of levels.
    fn __reduce__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyType>, (Bound<'py, PyList>,))> {
        Ok((py.get_type::<PyList>(), (self.to_list(py)?,)))
    }
}

/// Registers the classes on the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyEvent>()?;
    m.add_class::<PyLevels>()
}
